using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.Contracts.Wire;

namespace DaprIoT.Contracts.Tests;

/// <summary>
/// Decoded records as JSON, written independently of the codec's encoder so that the vectors'
/// "decoded" values check the decoder on their own, and a semantic JSON comparison.
/// </summary>
public static class WireJson
{
    public static JsonNode Of(object record) => record switch
    {
        LightBulbState m => new JsonObject
        {
            ["boot"] = m.Boot, ["seq"] = m.Seq, ["power"] = m.Power,
            ["brightnessPct"] = m.BrightnessPct, ["colorTempK"] = m.ColorTempK,
        },
        LightBulbTelemetry m => new JsonObject
        {
            ["boot"] = m.Boot, ["seq"] = m.Seq, ["uptimeS"] = m.UptimeS, ["powerMw"] = m.PowerMw,
        },
        SousVideState m => WithOptional(
            new JsonObject
            {
                ["boot"] = m.Boot, ["seq"] = m.Seq, ["heater"] = m.Heater,
                ["targetTempC"] = m.TargetTempC, ["waterTempC"] = m.WaterTempC,
            },
            ("program", m.Program is { } p
                ? new JsonObject { ["durationS"] = p.DurationS, ["elapsedS"] = p.ElapsedS, ["phase"] = p.Phase.ToString().ToLowerInvariant() }
                : null)),
        SousVideTelemetry m => new JsonObject
        {
            ["boot"] = m.Boot, ["seq"] = m.Seq, ["uptimeS"] = m.UptimeS, ["waterTempC"] = m.WaterTempC, ["heating"] = m.Heating,
        },
        DeviceAck m => WithOptional(
            new JsonObject { ["boot"] = m.Boot, ["seq"] = m.Seq, ["ok"] = m.Ok },
            ("id", m.Id), ("error", m.Error), ("message", m.Message)),
        DevicePresence m => WithOptional(
            new JsonObject { ["boot"] = m.Boot, ["seq"] = m.Seq, ["status"] = m.Status.ToString().ToLowerInvariant() },
            ("heartbeatS", m.HeartbeatS), ("fw", m.Fw)),
        LightBulbSet c => WithOptional(
            Command(c, "set"), ("power", c.Power), ("brightnessPct", c.BrightnessPct), ("colorTempK", c.ColorTempK)),
        LightBulbToggle c => Command(c, "toggle"),
        ReportCommand c => Command(c, "report"),
        SousVideSet c => WithOptional(Command(c, "set"), ("heater", c.Heater), ("targetTempC", c.TargetTempC)),
        StartProgram c => WithOptional(Command(c, "startProgram"), ("targetTempC", c.TargetTempC), ("durationS", c.DurationS)),
        StopProgram c => Command(c, "stopProgram"),
        _ => throw new ArgumentException($"no JSON form for {record.GetType().Name}", nameof(record)),
    };

    /// <summary>Same JSON value: objects by key set, numbers by decimal value (60 equals 60.0).</summary>
    public static bool SemanticallyEqual(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind)
            return false;
        return a.ValueKind switch
        {
            JsonValueKind.Object =>
                a.EnumerateObject().Count() == b.EnumerateObject().Count()
                && a.EnumerateObject().All(p => b.TryGetProperty(p.Name, out var other) && SemanticallyEqual(p.Value, other)),
            JsonValueKind.Array =>
                a.GetArrayLength() == b.GetArrayLength()
                && a.EnumerateArray().Zip(b.EnumerateArray()).All(pair => SemanticallyEqual(pair.First, pair.Second)),
            JsonValueKind.Number => a.GetDecimal() == b.GetDecimal(),
            JsonValueKind.String => a.GetString() == b.GetString(),
            _ => true, // true, false, null: the kind is the value
        };
    }

    public static JsonElement ToElement(JsonNode node) => JsonSerializer.SerializeToElement(node);

    private static JsonObject Command(DeviceCommand c, string name) => new() { ["id"] = c.Id, ["cmd"] = name };

    private static JsonObject WithOptional(JsonObject obj, params (string Name, object? Value)[] fields)
    {
        foreach (var (name, value) in fields)
        {
            if (value is not null)
                obj[name] = value as JsonNode ?? JsonSerializer.SerializeToNode(value);
        }
        return obj;
    }
}
