namespace DaprIoT.DeviceTwins.Ingestion;

/// <summary>How device messages are taken in; configuration section <c>Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    /// <summary>
    /// A device's actor hears of its telemetry at most this often. Shorter than a heartbeat period, so a device that
    /// sends telemetry is never taken for silent.
    /// </summary>
    public TimeSpan HeartbeatForwardInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Telemetry waiting for the bus; when full, new telemetry is dropped and counted (telemetry only).</summary>
    public int TelemetryQueueCapacity { get; set; } = 50_000;

    /// <summary>Telemetry messages per bulk publish at most.</summary>
    public int TelemetryBatchSize { get; set; } = 500;

    /// <summary>Bulk publishes on their way to the bus at once.</summary>
    public int TelemetryBatchesInFlight { get; set; } = 4;

    /// <summary>How long a batch waits to fill once it has its first message.</summary>
    public TimeSpan TelemetryBatchLinger { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Bulk publishes of one batch before its messages are dropped and counted.</summary>
    public int TelemetryPublishAttempts { get; set; } = 3;

    /// <summary>
    /// How long a commanded device's state or ack waits for the other, so the two are applied in one actor turn
    /// (<see cref="ReportPairing"/>); zero turns the pairing off.
    /// </summary>
    public TimeSpan ReportPairingWindow { get; set; } = TimeSpan.FromMilliseconds(5);
}
