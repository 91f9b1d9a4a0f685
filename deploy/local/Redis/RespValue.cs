using System.Globalization;
using System.Text;

namespace DaprIoT.LocalRuntime.Redis;

public enum RespType { SimpleString, Error, Integer, BulkString, Array, Null }

/// <summary>One RESP2 reply. Nil bulk strings and nil arrays are both <see cref="RespType.Null"/>.</summary>
public sealed class RespValue
{
    public static RespValue Nil { get; } = new(RespType.Null);

    private RespValue(RespType type, string? text = null, long integer = 0, byte[]? bulk = null, RespValue[]? items = null)
    {
        Type = type;
        Text = text;
        Integer = integer;
        Bulk = bulk;
        Items = items;
    }

    public RespType Type { get; }

    /// <summary>The text of a simple string or an error.</summary>
    public string? Text { get; }

    public long Integer { get; }

    public byte[]? Bulk { get; }

    public RespValue[]? Items { get; }

    public bool IsNull => Type == RespType.Null;

    public static RespValue Simple(string text) => new(RespType.SimpleString, text);
    public static RespValue Error(string text) => new(RespType.Error, text);
    public static RespValue Int(long value) => new(RespType.Integer, integer: value);
    public static RespValue BulkString(byte[] value) => new(RespType.BulkString, bulk: value);
    public static RespValue Array(RespValue[] items) => new(RespType.Array, items: items);

    /// <summary>The reply as text: bulk strings as UTF-8, integers in invariant digits, nil as null.</summary>
    public string? AsString() => Type switch
    {
        RespType.BulkString => Encoding.UTF8.GetString(Bulk!),
        RespType.SimpleString or RespType.Error => Text,
        RespType.Integer => Integer.ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    public long AsInt64() => Type switch
    {
        RespType.Integer => Integer,
        RespType.BulkString or RespType.SimpleString => long.Parse(AsString()!, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"A {Type} reply is not a number"),
    };

    public IReadOnlyList<RespValue> AsArray() => Items ?? [];

    public override string ToString() => Type switch
    {
        RespType.Array => $"[{string.Join(", ", Items!.Select(i => i.ToString()))}]",
        RespType.Null => "(nil)",
        RespType.Error => $"(error) {Text}",
        _ => AsString() ?? "",
    };
}
