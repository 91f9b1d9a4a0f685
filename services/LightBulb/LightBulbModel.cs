using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Model;

namespace DaprIoT.LightBulb;

/// <summary>A light bulb: power, brightness 0–100 %, colour temperature 2700–6500 K.</summary>
public sealed class LightBulbModel : DeviceModel
{
    public const string Power = "power";
    public const string BrightnessPct = "brightnessPct";
    public const string ColorTempK = "colorTempK";

    public override DeviceType Type => DeviceType.LightBulb;

    public override string ActorType => ActorTypes.LightBulb;

    public override IReadOnlyList<PropertySpec> Properties { get; } =
    [
        new BoolProperty(Power),
        new IntegerProperty(BrightnessPct, 0, 100, "%"),
        new IntegerProperty(ColorTempK, 2700, 6500, "K"),
    ];

    public override IReadOnlyDictionary<string, JsonElement> Reported(DeviceMessage state)
    {
        var bulb = (LightBulbState)state;
        return new Dictionary<string, JsonElement>
        {
            [Power] = PropertySpec.Json(bulb.Power),
            [BrightnessPct] = PropertySpec.Json(bulb.BrightnessPct),
            [ColorTempK] = PropertySpec.Json(bulb.ColorTempK),
        };
    }

    public override TelemetryReading Reading(string deviceId, DeviceMessage telemetry, DateTimeOffset receivedAt)
    {
        var reading = (LightBulbTelemetry)telemetry;
        return new TelemetryReading(deviceId, TypeName, reading.Boot, reading.Seq, receivedAt, reading.UptimeS, PowerMw: reading.PowerMw);
    }

    public override DeviceCommand ToWire(string commandId, string name, IReadOnlyDictionary<string, JsonElement> values) => name switch
    {
        SetCommand => new LightBulbSet(commandId,
            values.TryGetValue(Power, out var power) ? power.GetBoolean() : null,
            values.TryGetValue(BrightnessPct, out var brightness) ? brightness.GetInt32() : null,
            values.TryGetValue(ColorTempK, out var colorTemp) ? colorTemp.GetInt32() : null),
        ReportCommand => new DaprIoT.Contracts.Wire.ReportCommand(commandId),
        _ => throw new ArgumentException($"a light bulb has no command '{name}'", nameof(name)),
    };

    public override bool TurnsOff(string name, IReadOnlyDictionary<string, JsonElement> values) =>
        values.TryGetValue(Power, out var power) && power.ValueKind == JsonValueKind.False;
}
