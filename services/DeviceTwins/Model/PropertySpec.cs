using System.Globalization;
using System.Text.Json;

namespace DaprIoT.DeviceTwins.Model;

/// <summary>
/// One property of a device type's twin: its wire name, whether users may set it, and the values it takes. Values
/// are kept as JSON in a normal form (integers without a fraction, temperatures with exactly one decimal), so
/// desired and reported values compare by their text.
/// </summary>
public abstract class PropertySpec(string name, bool writable)
{
    public string Name { get; } = name;

    /// <summary>False for what only the device reports (a cooker's water temperature).</summary>
    public bool Writable { get; } = writable;

    /// <summary>The allowed values, in words, for error messages.</summary>
    public abstract string Allowed { get; }

    /// <summary>Checks a value a user asked for and brings it to normal form.</summary>
    public abstract bool TryNormalize(JsonElement value, out JsonElement normalized);

    public static JsonElement Json(bool value) => JsonSerializer.SerializeToElement(value);

    public static JsonElement Json(int value) => JsonSerializer.SerializeToElement(value);

    /// <summary>A temperature with exactly one decimal: 60 and 60.00 both become 60.0.</summary>
    public static JsonElement Json(decimal tenths) =>
        JsonDocument.Parse(decimal.Round(tenths, 1).ToString("0.0", CultureInfo.InvariantCulture)).RootElement.Clone();

    public static bool SameValue(JsonElement? a, JsonElement? b) =>
        a is { } x && b is { } y ? x.GetRawText() == y.GetRawText() : a is null && b is null;
}

public sealed class BoolProperty(string name, bool writable = true) : PropertySpec(name, writable)
{
    public override string Allowed => "true or false";

    public override bool TryNormalize(JsonElement value, out JsonElement normalized)
    {
        normalized = value;
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False;
    }
}

public sealed class IntegerProperty(string name, int min, int max, string unit, bool writable = true) : PropertySpec(name, writable)
{
    public int Min { get; } = min;
    public int Max { get; } = max;

    public override string Allowed => $"a whole number from {Min} to {Max} {unit}";

    public override bool TryNormalize(JsonElement value, out JsonElement normalized)
    {
        normalized = default;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number) || number < Min || number > Max) return false;
        normalized = Json(number);
        return true;
    }
}

/// <summary>A temperature in °C in steps of 0.1, as the device protocol carries them.</summary>
public sealed class TenthsProperty(string name, decimal min, decimal max, string unit, bool writable = true) : PropertySpec(name, writable)
{
    public decimal Min { get; } = min;
    public decimal Max { get; } = max;

    public override string Allowed =>
        $"a number from {Min.ToString("0.0", CultureInfo.InvariantCulture)} to {Max.ToString("0.0", CultureInfo.InvariantCulture)} {unit} in steps of 0.1";

    public override bool TryNormalize(JsonElement value, out JsonElement normalized)
    {
        normalized = default;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number)) return false;
        if (number < Min || number > Max || decimal.Round(number, 1) != number) return false;
        normalized = Json(number);
        return true;
    }
}
