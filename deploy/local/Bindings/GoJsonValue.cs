using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>
/// A JSON value as Go's <c>encoding/json</c> decodes it into an <c>interface{}</c>: strings with invalid
/// surrogate escapes turned into U+FFFD (System.Text.Json refuses to read those), numbers that must fit a
/// float64, object members in document order with duplicates kept (the last one wins when read).
/// </summary>
public sealed class GoJsonValue
{
    private const int MaxDepth = 1000;

    private GoJsonValue(JsonValueKind kind, string? text = null,
        IReadOnlyList<KeyValuePair<string, GoJsonValue>>? members = null, IReadOnlyList<GoJsonValue>? items = null)
    {
        Kind = kind;
        Text = text;
        Members = members ?? [];
        Items = items ?? [];
    }

    public JsonValueKind Kind { get; }

    /// <summary>The decoded string, or the number as written.</summary>
    public string? Text { get; }

    public IReadOnlyList<KeyValuePair<string, GoJsonValue>> Members { get; }

    public IReadOnlyList<GoJsonValue> Items { get; }

    /// <summary>Parses one JSON document; throws <see cref="JsonException"/> with a reason Go would also refuse it for.</summary>
    public static GoJsonValue Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) throw new JsonException("unexpected end of JSON input");
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        if (!reader.Read()) throw new JsonException("unexpected end of JSON input");
        var value = ReadValue(ref reader);
        if (reader.Read()) throw new JsonException($"invalid character after top-level value at byte {reader.TokenStartIndex}");
        return value;
    }

    private static GoJsonValue ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var members = new List<KeyValuePair<string, GoJsonValue>>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = ReadString(ref reader);
                    reader.Read();
                    members.Add(new(name, ReadValue(ref reader)));
                }
                return new GoJsonValue(JsonValueKind.Object, members: members);
            case JsonTokenType.StartArray:
                var items = new List<GoJsonValue>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(ReadValue(ref reader));
                return new GoJsonValue(JsonValueKind.Array, items: items);
            case JsonTokenType.String:
                return new GoJsonValue(JsonValueKind.String, ReadString(ref reader));
            case JsonTokenType.Number:
                var number = Encoding.UTF8.GetString(reader.ValueSpan);
                if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) || !double.IsFinite(parsed))
                    throw new JsonException($"json: cannot unmarshal number {number} into Go value of type float64");
                return new GoJsonValue(JsonValueKind.Number, number);
            case JsonTokenType.True:
                return new GoJsonValue(JsonValueKind.True);
            case JsonTokenType.False:
                return new GoJsonValue(JsonValueKind.False);
            default:
                return new GoJsonValue(JsonValueKind.Null);
        }
    }

    private static string ReadString(ref Utf8JsonReader reader) =>
        reader.ValueIsEscaped ? Unescape(reader.ValueSpan) : Encoding.UTF8.GetString(reader.ValueSpan);

    /// <summary>Go's <c>unquote</c>: a high surrogate escape needs a low one right after it; any other surrogate becomes U+FFFD.</summary>
    private static string Unescape(ReadOnlySpan<byte> raw)
    {
        var text = new StringBuilder(raw.Length);
        var i = 0;
        while (i < raw.Length)
        {
            var next = raw[i..].IndexOf((byte)'\\');
            if (next < 0) next = raw.Length - i;
            text.Append(Encoding.UTF8.GetString(raw.Slice(i, next)));
            i += next;
            if (i >= raw.Length) break;
            var kind = (char)raw[i + 1];
            i += 2;
            switch (kind)
            {
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'u':
                    var unit = Hex4(raw.Slice(i, 4));
                    i += 4;
                    if (char.IsHighSurrogate(unit) && i + 6 <= raw.Length && raw[i] == '\\' && raw[i + 1] == 'u'
                        && Hex4(raw.Slice(i + 2, 4)) is var low && char.IsLowSurrogate(low))
                    {
                        text.Append(unit).Append(low);
                        i += 6;
                    }
                    else
                    {
                        text.Append(char.IsSurrogate(unit) ? '\uFFFD' : unit);
                    }
                    break;
                default: text.Append(kind); break; // \" \\ \/
            }
        }
        return text.ToString();
    }

    private static char Hex4(ReadOnlySpan<byte> hex)
    {
        Utf8Parser.TryParse(hex, out ushort value, out _, 'X');
        return (char)value;
    }
}
