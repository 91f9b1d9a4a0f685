namespace DaprIoT.Contracts.Events;

/// <summary>
/// One telemetry message of a device, published on <see cref="Topics.Telemetry"/> in batches. The measurements
/// are those of the device's type (light bulb: <see cref="PowerMw"/>; cooker: <see cref="WaterTempC"/> and
/// <see cref="Heating"/>). <see cref="ReceivedAt"/> is the platform's clock.
/// </summary>
public sealed record TelemetryReading(
    string DeviceId,
    string DeviceType,
    uint Boot,
    uint Seq,
    DateTimeOffset ReceivedAt,
    uint UptimeS,
    int? PowerMw = null,
    decimal? WaterTempC = null,
    bool? Heating = null);
