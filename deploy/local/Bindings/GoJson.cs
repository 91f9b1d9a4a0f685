using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>
/// Re-serialises a JSON value exactly as daprd does with Go's <c>encoding/json</c> after decoding it into an
/// <c>interface{}</c>: object keys sorted by their UTF-8 bytes (duplicates: the last wins), compact, numbers
/// as float64 (<c>1.0</c> becomes <c>1</c>, <c>1e21</c> stays exponential, <c>0.0000001</c> becomes
/// <c>1e-7</c>), and <c>&lt; &gt; &amp;</c>, U+2028 and U+2029 escaped. The bytes the output binding hands
/// to the broker are therefore the bytes a device would get behind real daprd.
/// </summary>
public static class GoJson
{
    private const string Hex = "0123456789abcdef";

    public static byte[] Marshal(GoJsonValue? value)
    {
        var builder = new StringBuilder();
        if (value is null) builder.Append("null");
        else Write(builder, value);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static void Write(StringBuilder builder, GoJsonValue element)
    {
        switch (element.Kind)
        {
            case JsonValueKind.Object:
                var properties = new Dictionary<string, GoJsonValue>(StringComparer.Ordinal);
                foreach (var (name, value) in element.Members) properties[name] = value;
                var keys = properties.Keys.ToArray();
                Array.Sort(keys, CompareUtf8);
                builder.Append('{');
                for (var i = 0; i < keys.Length; i++)
                {
                    if (i > 0) builder.Append(',');
                    WriteString(builder, keys[i]);
                    builder.Append(':');
                    Write(builder, properties[keys[i]]);
                }
                builder.Append('}');
                break;
            case JsonValueKind.Array:
                builder.Append('[');
                var first = true;
                foreach (var item in element.Items)
                {
                    if (!first) builder.Append(',');
                    first = false;
                    Write(builder, item);
                }
                builder.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(builder, element.Text!);
                break;
            case JsonValueKind.Number:
                WriteFloat64(builder, double.Parse(element.Text!, NumberStyles.Float, CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.True:
                builder.Append("true");
                break;
            case JsonValueKind.False:
                builder.Append("false");
                break;
            default:
                builder.Append("null");
                break;
        }
    }

    // Go sorts map keys as byte strings; for UTF-16 that equals ordinal comparison except around surrogates.
    private static int CompareUtf8(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    private static void WriteString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029' or < ' ':
                    builder.Append("\\u").Append(Hex[c >> 12]).Append(Hex[(c >> 8) & 0xF]).Append(Hex[(c >> 4) & 0xF]).Append(Hex[c & 0xF]);
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }
        builder.Append('"');
    }

    /// <summary>Go's <c>floatEncoder</c>: shortest round-trip digits, 'f' notation unless |v| &lt; 1e-6 or ≥ 1e21.</summary>
    private static void WriteFloat64(StringBuilder builder, double value)
    {
        // "R" yields the shortest round-trip digits, as Go's strconv with precision -1 does.
        var shortest = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = shortest.StartsWith('-');
        if (negative) shortest = shortest[1..];
        var (digits, exponent) = Decompose(shortest);
        if (negative) builder.Append('-');
        var abs = Math.Abs(value);
        if (abs != 0 && (abs < 1e-6 || abs >= 1e21))
        {
            builder.Append(digits[0]);
            if (digits.Length > 1) builder.Append('.').Append(digits, 1, digits.Length - 1);
            var e = exponent - 1;
            builder.Append('e').Append(e < 0 ? '-' : '+');
            // Go prints at least two exponent digits, then trims "e-07" to "e-7" (but keeps "e+21").
            var magnitude = Math.Abs(e).ToString(CultureInfo.InvariantCulture);
            builder.Append(e < 0 || magnitude.Length >= 2 ? magnitude : "0" + magnitude);
            return;
        }
        // 'f': digits with the decimal point after `exponent` digits.
        if (exponent <= 0)
        {
            builder.Append("0.").Append('0', -exponent).Append(digits);
        }
        else if (exponent >= digits.Length)
        {
            builder.Append(digits).Append('0', exponent - digits.Length);
        }
        else
        {
            builder.Append(digits, 0, exponent).Append('.').Append(digits, exponent, digits.Length - exponent);
        }
    }

    /// <summary>Splits a positive "R" string (<c>123.45</c>, <c>1E+21</c>, <c>1.5E-07</c>) into significant digits
    /// and the position of the decimal point relative to them (value = 0.DIGITS × 10^exponent).</summary>
    private static (string Digits, int Exponent) Decompose(string text)
    {
        var e = text.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? text : text[..e];
        var exponent = e < 0 ? 0 : int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var dot = mantissa.IndexOf('.');
        var integerPart = dot < 0 ? mantissa : mantissa[..dot];
        var fraction = dot < 0 ? "" : mantissa[(dot + 1)..];
        var digits = integerPart + fraction;
        var point = integerPart.Length + exponent;
        var leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        point -= leading;
        digits = digits.TrimEnd('0');
        return digits.Length == 0 ? ("0", 1) : (digits, point);
    }
}
