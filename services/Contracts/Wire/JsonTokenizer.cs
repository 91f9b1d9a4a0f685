namespace DaprIoT.Contracts.Wire;

internal enum JsonType : byte
{
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>One JSON value, located in the payload by offsets (nothing is copied).</summary>
internal struct JsonToken
{
    public JsonType Type;

    /// <summary>First byte; for a string, the byte after the opening quote.</summary>
    public int Start;

    /// <summary>Length in bytes of a string, number or literal; for a string, without the quotes and with escapes as written.</summary>
    public int Length;

    /// <summary>Objects: key/value pairs; arrays: elements.</summary>
    public int Size;

    /// <summary>Index of the token after this one's whole subtree (an object's key and value are two tokens).</summary>
    public int Next;
}

/// <summary>
/// A strict JSON tokenizer that gives the same verdict as the firmware's (firmware/core/json.c) on
/// every input, so device and platform accept and reject the same payloads with the same code:
/// RFC 8259 syntax, one object at the top, containers nested at most <see cref="MaxDepth"/> deep,
/// no repeated key in an object, and a fixed token budget whose overflow is <c>too_large</c>.
/// Like the firmware it does not validate UTF-8: bytes above 0x7F are taken as they are, and the
/// field rules later reject them (strings must be printable ASCII).
/// Errors are reported in the order the scan meets them, which is what decides between
/// <c>too_large</c> and <c>bad_json</c> when a payload has both problems.
/// </summary>
internal ref struct JsonTokenizer
{
    public const int MaxDepth = 4;

    private readonly ReadOnlySpan<byte> _json;
    private readonly Span<JsonToken> _tokens;
    private int _pos;
    private int _count;
    private WireErrorCode _error;

    private JsonTokenizer(ReadOnlySpan<byte> json, Span<JsonToken> tokens)
    {
        _json = json;
        _tokens = tokens;
    }

    /// <summary>Fills <paramref name="tokens"/> from <paramref name="json"/>; token 0 is the top-level object.</summary>
    public static bool TryTokenize(ReadOnlySpan<byte> json, Span<JsonToken> tokens, out WireErrorCode error)
    {
        var tokenizer = new JsonTokenizer(json, tokens);
        bool ok = tokenizer.ParseDocument();
        error = tokenizer._error;
        return ok;
    }

    private bool ParseDocument()
    {
        SkipWhitespace();
        if (_pos >= _json.Length || _json[_pos] != '{')
            return Fail(WireErrorCode.BadJson);
        if (ParseValue(0) < 0)
            return false;
        SkipWhitespace();
        return _pos == _json.Length || Fail(WireErrorCode.BadJson);
    }

    private bool Fail(WireErrorCode error)
    {
        _error = error;
        return false;
    }

    private int FailIndex(WireErrorCode error)
    {
        _error = error;
        return -1;
    }

    private void SkipWhitespace()
    {
        while (_pos < _json.Length && _json[_pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            _pos++;
    }

    private int NewToken(JsonType type, int start)
    {
        if (_count >= _tokens.Length)
            return FailIndex(WireErrorCode.TooLarge);
        _tokens[_count] = new JsonToken { Type = type, Start = start };
        return _count++;
    }

    /// <summary>Completes a token with no children.</summary>
    private int Leaf(JsonType type, int start, int length)
    {
        int i = NewToken(type, start);
        if (i >= 0)
        {
            _tokens[i].Length = length;
            _tokens[i].Next = i + 1;
        }
        return i;
    }

    private int ParseValue(int depth)
    {
        SkipWhitespace();
        if (_pos >= _json.Length)
            return FailIndex(WireErrorCode.BadJson);
        return _json[_pos] switch
        {
            (byte)'{' => ParseContainer(depth, isObject: true),
            (byte)'[' => ParseContainer(depth, isObject: false),
            (byte)'"' => ParseString(),
            (byte)'t' => ParseLiteral("true"u8, JsonType.True),
            (byte)'f' => ParseLiteral("false"u8, JsonType.False),
            (byte)'n' => ParseLiteral("null"u8, JsonType.Null),
            _ => ParseNumber(),
        };
    }

    private int ParseContainer(int depth, bool isObject)
    {
        if (depth >= MaxDepth)
            return FailIndex(WireErrorCode.BadJson);
        int self = NewToken(isObject ? JsonType.Object : JsonType.Array, _pos);
        if (self < 0)
            return -1;
        byte close = isObject ? (byte)'}' : (byte)']';
        _pos++;
        SkipWhitespace();
        if (_pos < _json.Length && _json[_pos] == close)
        {
            _pos++;
        }
        else
        {
            while (true)
            {
                if (isObject)
                {
                    SkipWhitespace();
                    if (_pos >= _json.Length || _json[_pos] != '"')
                        return FailIndex(WireErrorCode.BadJson);
                    if (ParseString() < 0)
                        return -1;
                    SkipWhitespace();
                    if (_pos >= _json.Length || _json[_pos] != ':')
                        return FailIndex(WireErrorCode.BadJson);
                    _pos++;
                }
                if (ParseValue(depth + 1) < 0)
                    return -1;
                _tokens[self].Size++;
                SkipWhitespace();
                if (_pos >= _json.Length)
                    return FailIndex(WireErrorCode.BadJson);
                byte c = _json[_pos++];
                if (c == close)
                    break;
                if (c != ',')
                    return FailIndex(WireErrorCode.BadJson);
            }
        }
        _tokens[self].Next = _count;
        // Decoders disagree on which of two equal keys wins, so an object that repeats one is ambiguous.
        if (isObject && HasDuplicateKeys(self))
            return FailIndex(WireErrorCode.BadJson);
        return self;
    }

    private bool HasDuplicateKeys(int obj)
    {
        for (int a = obj + 1; a < _count; a = _tokens[a + 1].Next)
        {
            for (int b = _tokens[a + 1].Next; b < _count; b = _tokens[b + 1].Next)
            {
                if (JsonText.SameString(_json, _tokens[a], _tokens[b]))
                    return true;
            }
        }
        return false;
    }

    private int ParseString()
    {
        int start = ++_pos; // past the opening quote
        while (_pos < _json.Length)
        {
            byte c = _json[_pos];
            if (c == '"')
            {
                int i = Leaf(JsonType.String, start, _pos - start);
                _pos++;
                return i;
            }
            if (c < 0x20)
                return FailIndex(WireErrorCode.BadJson);
            if (c == '\\')
            {
                _pos++;
                if (_pos >= _json.Length)
                    return FailIndex(WireErrorCode.BadJson);
                c = _json[_pos];
                if (c == 'u')
                {
                    if (_pos + 4 >= _json.Length)
                        return FailIndex(WireErrorCode.BadJson);
                    for (int k = 1; k <= 4; k++)
                    {
                        if (!char.IsAsciiHexDigit((char)_json[_pos + k]))
                            return FailIndex(WireErrorCode.BadJson);
                    }
                    _pos += 4;
                }
                else if (c is not ((byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t'))
                {
                    return FailIndex(WireErrorCode.BadJson);
                }
            }
            _pos++;
        }
        return FailIndex(WireErrorCode.BadJson);
    }

    private int ParseNumber()
    {
        int start = _pos;
        if (Peek() == '-')
            _pos++;
        if (!char.IsAsciiDigit((char)Peek()))
            return FailIndex(WireErrorCode.BadJson);
        // A leading zero stands alone: "050" ends the number after "0" and fails at the next byte.
        if (_json[_pos] == '0')
            _pos++;
        else
            SkipDigits();
        if (Peek() == '.')
        {
            _pos++;
            if (!char.IsAsciiDigit((char)Peek()))
                return FailIndex(WireErrorCode.BadJson);
            SkipDigits();
        }
        if (Peek() is (byte)'e' or (byte)'E')
        {
            _pos++;
            if (Peek() is (byte)'+' or (byte)'-')
                _pos++;
            if (!char.IsAsciiDigit((char)Peek()))
                return FailIndex(WireErrorCode.BadJson);
            SkipDigits();
        }
        return Leaf(JsonType.Number, start, _pos - start);
    }

    private int ParseLiteral(ReadOnlySpan<byte> word, JsonType type)
    {
        if (!_json[_pos..].StartsWith(word))
            return FailIndex(WireErrorCode.BadJson);
        int i = Leaf(type, _pos, word.Length);
        _pos += word.Length;
        return i;
    }

    /// <summary>The byte at the current position, or 0 past the end (0 is never valid where it is tested).</summary>
    private readonly byte Peek() => _pos < _json.Length ? _json[_pos] : (byte)0;

    private void SkipDigits()
    {
        while (char.IsAsciiDigit((char)Peek()))
            _pos++;
    }
}

/// <summary>Reading string tokens: escapes are resolved one UTF-16 code unit at a time, raw bytes are taken as they are.</summary>
internal static class JsonText
{
    /// <summary>The next decoded unit of a string token (0..0xFFFF), or -1 at its end.</summary>
    public static int Next(ReadOnlySpan<byte> json, in JsonToken token, ref int pos)
    {
        if (pos >= token.Length)
            return -1;
        var s = json.Slice(token.Start, token.Length);
        byte c = s[pos++];
        if (c != '\\')
            return c;
        c = s[pos++];
        switch (c)
        {
            case (byte)'b': return '\b';
            case (byte)'f': return '\f';
            case (byte)'n': return '\n';
            case (byte)'r': return '\r';
            case (byte)'t': return '\t';
            case (byte)'u':
                // The tokenizer has checked that four hex digits follow.
                int value = 0;
                for (int k = 0; k < 4; k++)
                    value = value * 16 + HexValue(s[pos++]);
                return value;
            default: return c; // " \ /
        }
    }

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    public static bool SameString(ReadOnlySpan<byte> json, in JsonToken a, in JsonToken b)
    {
        int pa = 0, pb = 0;
        while (true)
        {
            int ca = Next(json, a, ref pa), cb = Next(json, b, ref pb);
            if (ca != cb)
                return false;
            if (ca < 0)
                return true;
        }
    }

    /// <summary>True if the token is a string that decodes to exactly <paramref name="text"/>.</summary>
    public static bool Matches(ReadOnlySpan<byte> json, in JsonToken token, string text)
    {
        if (token.Type != JsonType.String)
            return false;
        int pos = 0;
        foreach (char expected in text)
        {
            if (Next(json, token, ref pos) != expected)
                return false;
        }
        return Next(json, token, ref pos) < 0;
    }
}
