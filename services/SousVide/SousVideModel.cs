using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Model;

namespace DaprIoT.SousVide;

/// <summary>
/// A sous-vide cooker: heater, target 20.0–95.0 °C in 0.1 steps, the water temperature it measures, and cooking
/// programs (<c>startProgram</c> heats to a target and holds it for a duration; <c>stopProgram</c> ends it).
/// </summary>
public sealed class SousVideModel : DeviceModel
{
    public const string Heater = "heater";
    public const string TargetTempC = "targetTempC";
    public const string WaterTempC = "waterTempC";
    public const string DurationS = "durationS";
    public const string StartProgramCommand = "startProgram";
    public const string StopProgramCommand = "stopProgram";

    /// <summary>The longest program the protocol carries: 72 hours.</summary>
    public const int MaxDurationS = 259_200;

    public override DeviceType Type => DeviceType.SousVide;

    public override string ActorType => ActorTypes.SousVide;

    public TenthsProperty Target { get; } = new(TargetTempC, 20.0m, 95.0m, "°C");

    public override IReadOnlyList<PropertySpec> Properties { get; }

    public SousVideModel() =>
        Properties = [new BoolProperty(Heater), Target, new TenthsProperty(WaterTempC, -20.0m, 120.0m, "°C", writable: false)];

    public override IReadOnlyDictionary<string, JsonElement> Reported(DeviceMessage state)
    {
        var cooker = (SousVideState)state;
        return new Dictionary<string, JsonElement>
        {
            [Heater] = PropertySpec.Json(cooker.Heater),
            [TargetTempC] = PropertySpec.Json(cooker.TargetTempC),
            [WaterTempC] = PropertySpec.Json(cooker.WaterTempC),
        };
    }

    public override TelemetryReading Reading(string deviceId, DeviceMessage telemetry, DateTimeOffset receivedAt)
    {
        var reading = (SousVideTelemetry)telemetry;
        return new TelemetryReading(deviceId, TypeName, reading.Boot, reading.Seq, receivedAt, reading.UptimeS,
            WaterTempC: reading.WaterTempC, Heating: reading.Heating);
    }

    /// <summary>A program start turns the heater on at its target; a stop turns it off.</summary>
    public override IReadOnlyDictionary<string, JsonElement> Effects(string name, IReadOnlyDictionary<string, JsonElement> values) => name switch
    {
        StartProgramCommand => new Dictionary<string, JsonElement> { [Heater] = PropertySpec.Json(true), [TargetTempC] = values[TargetTempC] },
        StopProgramCommand => new Dictionary<string, JsonElement> { [Heater] = PropertySpec.Json(false) },
        _ => base.Effects(name, values),
    };

    public override DeviceCommand ToWire(string commandId, string name, IReadOnlyDictionary<string, JsonElement> values) => name switch
    {
        SetCommand => new SousVideSet(commandId,
            values.TryGetValue(Heater, out var heater) ? heater.GetBoolean() : null,
            values.TryGetValue(TargetTempC, out var target) ? target.GetDecimal() : null),
        StartProgramCommand => new StartProgram(commandId, values[TargetTempC].GetDecimal(), values[DurationS].GetInt32()),
        StopProgramCommand => new StopProgram(commandId),
        ReportCommand => new DaprIoT.Contracts.Wire.ReportCommand(commandId),
        _ => throw new ArgumentException($"a sous-vide cooker has no command '{name}'", nameof(name)),
    };

    public override bool TurnsOff(string name, IReadOnlyDictionary<string, JsonElement> values) =>
        name == StopProgramCommand || (values.TryGetValue(Heater, out var heater) && heater.ValueKind == JsonValueKind.False);
}
