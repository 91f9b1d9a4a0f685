namespace DaprIoT.Contracts.Wire;

/// <summary>
/// Reads the fields of a tokenized payload into <see cref="FieldValue"/>s, with the firmware's
/// rules and error codes (firmware/core/codec.c): fields in document order, the first failure wins.
/// </summary>
internal readonly ref struct FieldDecoder
{
    private const int MaxReportedKeyLength = 24;

    private readonly ReadOnlySpan<byte> _json;
    private readonly ReadOnlySpan<JsonToken> _tokens;

    public FieldDecoder(ReadOnlySpan<byte> json, ReadOnlySpan<JsonToken> tokens)
    {
        _json = json;
        _tokens = tokens;
    }

    /// <summary>Every key/value pair of the object at token <paramref name="obj"/>, in document order, then the required fields.</summary>
    public WireError? DecodeObject(MessageSpec spec, int obj, Span<FieldValue> values)
    {
        int key = obj + 1;
        for (int pair = 0; pair < _tokens[obj].Size; pair++)
        {
            int value = key + 1;
            int f = spec.IndexOf(_json, _tokens[key]);
            if (f < 0)
                return new WireError(WireErrorCode.UnknownField, ReportedKey(_tokens[key]));
            var field = spec.Fields[f];
            if (field.Kind == FieldKind.Object)
            {
                if (_tokens[value].Type != JsonType.Object)
                    return new WireError(WireErrorCode.BadType, field.Name);
                // Errors inside name the inner field, as the firmware does.
                var inner = DecodeObject(field.Nested!, value, values[spec.Fields.Length..]);
                if (inner is not null)
                    return inner;
                values[f].Present = true;
            }
            else if (DecodeField(field, value, ref values[f]) is { } code)
            {
                return new WireError(code, field.Name);
            }
            key = _tokens[value].Next;
        }
        for (int f = 0; f < spec.Fields.Length; f++)
        {
            if (spec.Fields[f].Required && !values[f].Present)
                return new WireError(WireErrorCode.MissingField, spec.Fields[f].Name);
        }
        return null;
    }

    /// <summary>Reads and checks one value that is not an object; null when it is valid.</summary>
    public WireErrorCode? DecodeField(FieldSpec field, int token, ref FieldValue value)
    {
        ref readonly var t = ref _tokens[token];
        var error = field.Kind switch
        {
            FieldKind.Bool => ReadBool(t, out value.Number),
            FieldKind.UInt => ReadInteger(t, out value.Number),
            FieldKind.Tenths => ReadTenths(t, out value.Number),
            FieldKind.Id or FieldKind.Text => ReadText(t, field.Max, out value.Text),
            FieldKind.Enum => ReadEnum(t, field.Names!, out value.Number),
            _ => throw new ArgumentException($"{field.Kind} is not a single value", nameof(field)),
        };
        error ??= FieldChecks.Check(field, value);
        value.Present = error is null;
        return error;
    }

    /// <summary>The value token of <paramref name="key"/> in the object at token <paramref name="obj"/>, or -1.</summary>
    public int Find(int obj, string key)
    {
        int k = obj + 1;
        for (int pair = 0; pair < _tokens[obj].Size; pair++)
        {
            if (JsonText.Matches(_json, _tokens[k], key))
                return k + 1;
            k = _tokens[k + 1].Next;
        }
        return -1;
    }

    private static WireErrorCode? ReadBool(in JsonToken t, out long value)
    {
        value = t.Type == JsonType.True ? 1 : 0;
        return t.Type is JsonType.True or JsonType.False ? null : WireErrorCode.BadType;
    }

    /// <summary>An integer: a fraction or exponent is bad_type, even when its value is whole ("50.0", "5e1").</summary>
    private WireErrorCode? ReadInteger(in JsonToken t, out long value)
    {
        value = 0;
        if (t.Type != JsonType.Number)
            return WireErrorCode.BadType;
        var text = _json.Slice(t.Start, t.Length);
        bool negative = text[0] == '-';
        var digits = negative ? text[1..] : text;
        if (digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            return WireErrorCode.BadType;
        foreach (byte d in digits)
        {
            // Beyond every range of the protocol; stopping here keeps the arithmetic from overflowing.
            if (value > 100_000_000_000)
                return WireErrorCode.OutOfRange;
            value = value * 10 + (d - '0');
        }
        if (negative)
            value = -value;
        return null;
    }

    /// <summary>A temperature in tenths: "56.5", "60" and "60.50" are fine, "56.25" is off the 0.1 step, exponents are bad_type.</summary>
    private WireErrorCode? ReadTenths(in JsonToken t, out long tenths)
    {
        tenths = 0;
        if (t.Type != JsonType.Number)
            return WireErrorCode.BadType;
        var text = _json.Slice(t.Start, t.Length);
        if (text.IndexOfAny((byte)'e', (byte)'E') >= 0)
            return WireErrorCode.BadType;
        bool negative = text[0] == '-';
        int i = negative ? 1 : 0;
        bool tooBig = false;
        for (; i < text.Length && text[i] != '.'; i++)
        {
            if (tenths > 100_000_000)
                tooBig = true;
            else
                tenths = tenths * 10 + (text[i] - '0');
        }
        tenths *= 10;
        bool offStep = false;
        if (i < text.Length)
        {
            // The tokenizer guarantees a digit after the point.
            tenths += text[i + 1] - '0';
            offStep = text[(i + 2)..].IndexOfAnyExcept((byte)'0') >= 0;
        }
        if (negative)
            tenths = -tenths;
        return tooBig || offStep ? WireErrorCode.OutOfRange : null;
    }

    /// <summary>A string, unescaped; anything longer than <paramref name="maxLength"/> is out_of_range.</summary>
    private WireErrorCode? ReadText(in JsonToken t, long maxLength, out string? text)
    {
        text = null;
        if (t.Type != JsonType.String)
            return WireErrorCode.BadType;
        Span<char> buffer = stackalloc char[(int)maxLength];
        int length = 0;
        int pos = 0;
        for (int c; (c = JsonText.Next(_json, t, ref pos)) >= 0;)
        {
            if (length == buffer.Length)
                return WireErrorCode.OutOfRange;
            buffer[length++] = (char)c;
        }
        text = new string(buffer[..length]);
        return null;
    }

    private WireErrorCode? ReadEnum(in JsonToken t, string[] names, out long index)
    {
        index = 0;
        if (t.Type != JsonType.String)
            return WireErrorCode.BadType;
        for (int i = 0; i < names.Length; i++)
        {
            if (JsonText.Matches(_json, t, names[i]))
            {
                index = i;
                return null;
            }
        }
        return WireErrorCode.OutOfRange;
    }

    /// <summary>
    /// An unknown key as the firmware reports it: only its <c>[A-Za-z0-9_]</c> bytes as written (escapes
    /// not resolved), at most 24, so that it is safe to quote in an ack message.
    /// </summary>
    private string ReportedKey(in JsonToken key)
    {
        Span<char> name = stackalloc char[MaxReportedKeyLength];
        int length = 0;
        foreach (byte b in _json.Slice(key.Start, key.Length))
        {
            if (length == name.Length)
                break;
            if (char.IsAsciiLetterOrDigit((char)b) || b == '_')
                name[length++] = (char)b;
        }
        return new string(name[..length]);
    }
}

/// <summary>The checks a value must pass once read, shared by the decoder and the encoder.</summary>
internal static class FieldChecks
{
    public static WireErrorCode? Check(FieldSpec field, in FieldValue value)
    {
        bool ok = field.Kind switch
        {
            FieldKind.UInt or FieldKind.Tenths => value.Number >= field.Min && value.Number <= field.Max,
            FieldKind.Id => IsText(value.Text, field) && value.Text.AsSpan().IndexOfAnyExcept(IdCharacters) < 0,
            FieldKind.Text => IsText(value.Text, field),
            FieldKind.Enum => value.Number >= 0 && value.Number < field.Names!.Length,
            _ => true,
        };
        return ok ? null : WireErrorCode.OutOfRange;
    }

    private static bool IsText(string? text, FieldSpec field) =>
        text is not null && text.Length >= field.Min && text.Length <= field.Max
        && text.AsSpan().IndexOfAnyExceptInRange(' ', '~') < 0;

    private static readonly System.Buffers.SearchValues<char> IdCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");
}
