using System.Globalization;

namespace DaprIoT.Contracts.Wire;

/// <summary>
/// Writes a message in canonical form: no whitespace, fields in the order of their
/// <see cref="MessageSpec"/>, optional fields only when present, temperatures with exactly one decimal.
/// The values must have passed <see cref="FieldChecks"/>, so strings are printable ASCII and
/// only '"' and '\' need escaping, and every message fits in <see cref="Capacity"/>.
/// </summary>
internal ref struct CanonicalWriter
{
    /// <summary>The protocol's payload limit; the largest message (an ack with a fully escaped message) is well below it.</summary>
    public const int Capacity = 512;

    private readonly Span<byte> _buffer;
    private int _length;

    public CanonicalWriter(Span<byte> buffer)
    {
        _buffer = buffer;
    }

    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    public void WriteObject(MessageSpec spec, ReadOnlySpan<FieldValue> values)
    {
        Byte((byte)'{');
        bool first = true;
        for (int f = 0; f < spec.Fields.Length; f++)
        {
            var field = spec.Fields[f];
            if (!values[f].Present)
                continue;
            if (!first)
                Byte((byte)',');
            first = false;
            String(field.Name);
            Byte((byte)':');
            switch (field.Kind)
            {
                case FieldKind.Bool:
                    Ascii(values[f].Number != 0 ? "true" : "false");
                    break;
                case FieldKind.UInt:
                    Integer(values[f].Number);
                    break;
                case FieldKind.Tenths:
                    Tenths(values[f].Number);
                    break;
                case FieldKind.Id or FieldKind.Text:
                    String(values[f].Text!);
                    break;
                case FieldKind.Enum:
                    String(field.Names![values[f].Number]);
                    break;
                case FieldKind.Object:
                    WriteObject(field.Nested!, values[spec.Fields.Length..]);
                    break;
            }
        }
        Byte((byte)'}');
    }

    private void Byte(byte b) => _buffer[_length++] = b;

    private void Ascii(string s)
    {
        foreach (char c in s)
            Byte((byte)c);
    }

    private void Integer(long value)
    {
        value.TryFormat(_buffer[_length..], out int written, default, CultureInfo.InvariantCulture);
        _length += written;
    }

    /// <summary>565 → 56.5, 600 → 60.0, -5 → -0.5.</summary>
    private void Tenths(long tenths)
    {
        if (tenths < 0)
            Byte((byte)'-');
        long magnitude = Math.Abs(tenths);
        Integer(magnitude / 10);
        Byte((byte)'.');
        Byte((byte)('0' + magnitude % 10));
    }

    private void String(string s)
    {
        Byte((byte)'"');
        foreach (char c in s)
        {
            if (c is '"' or '\\')
                Byte((byte)'\\');
            Byte((byte)c);
        }
        Byte((byte)'"');
    }
}
