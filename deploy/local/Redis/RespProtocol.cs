using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace DaprIoT.LocalRuntime.Redis;

/// <summary>RESP2 framing: writes commands as arrays of bulk strings and parses replies.</summary>
internal static class RespProtocol
{
    public static void WriteCommand(IBufferWriter<byte> output, IReadOnlyList<object> parts)
    {
        WriteHeader(output, (byte)'*', parts.Count);
        foreach (var part in parts)
        {
            switch (part)
            {
                case byte[] bytes:
                    WriteBulk(output, bytes);
                    break;
                case ReadOnlyMemory<byte> memory:
                    WriteBulk(output, memory.Span);
                    break;
                case string text:
                    var length = Encoding.UTF8.GetByteCount(text);
                    WriteHeader(output, (byte)'$', length);
                    var span = output.GetSpan(length + 2);
                    Encoding.UTF8.GetBytes(text, span);
                    span[length] = (byte)'\r';
                    span[length + 1] = (byte)'\n';
                    output.Advance(length + 2);
                    break;
                case IFormattable number:
                    WriteBulk(output, Encoding.ASCII.GetBytes(number.ToString(null, CultureInfo.InvariantCulture)));
                    break;
                default:
                    throw new ArgumentException($"A Redis argument cannot be a {part?.GetType().Name ?? "null"}", nameof(parts));
            }
        }
    }

    private static void WriteBulk(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        WriteHeader(output, (byte)'$', bytes.Length);
        var span = output.GetSpan(bytes.Length + 2);
        bytes.CopyTo(span);
        span[bytes.Length] = (byte)'\r';
        span[bytes.Length + 1] = (byte)'\n';
        output.Advance(bytes.Length + 2);
    }

    private static void WriteHeader(IBufferWriter<byte> output, byte prefix, int length)
    {
        var span = output.GetSpan(16);
        span[0] = prefix;
        Utf8Formatter.TryFormat(length, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        output.Advance(3 + written);
    }

    /// <summary>Parses one complete reply, or returns false (consuming nothing) when more bytes are needed.</summary>
    public static bool TryParse(ref SequenceReader<byte> reader, out RespValue value)
    {
        value = RespValue.Nil;
        var start = reader;
        if (!reader.TryRead(out var prefix) || !reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            reader = start;
            return false;
        }
        switch (prefix)
        {
            case (byte)'+':
                value = RespValue.Simple(Encoding.UTF8.GetString(line));
                return true;
            case (byte)'-':
                value = RespValue.Error(Encoding.UTF8.GetString(line));
                return true;
            case (byte)':':
                value = RespValue.Int(ParseInteger(line));
                return true;
            case (byte)'$':
                var length = ParseInteger(line);
                if (length < 0) return true;
                if (reader.Remaining < length + 2)
                {
                    reader = start;
                    return false;
                }
                var bytes = new byte[length];
                reader.TryCopyTo(bytes);
                reader.Advance(length + 2);
                value = RespValue.BulkString(bytes);
                return true;
            case (byte)'*':
                var count = ParseInteger(line);
                if (count < 0) return true;
                var items = new RespValue[count];
                for (var i = 0; i < count; i++)
                {
                    if (!TryParse(ref reader, out items[i]))
                    {
                        reader = start;
                        return false;
                    }
                }
                value = RespValue.Array(items);
                return true;
            default:
                throw new RedisConnectionException($"Redis sent an unknown reply type '{(char)prefix}'");
        }
    }

    private static long ParseInteger(ReadOnlySequence<byte> line)
    {
        Span<byte> buffer = stackalloc byte[24];
        if (line.Length > buffer.Length) throw new RedisConnectionException("Redis sent an oversized length");
        line.CopyTo(buffer);
        return Utf8Parser.TryParse(buffer[..(int)line.Length], out long value, out _)
            ? value
            : throw new RedisConnectionException("Redis sent a malformed number");
    }
}
