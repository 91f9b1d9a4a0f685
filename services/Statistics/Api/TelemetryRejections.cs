using System.Collections.Concurrent;

namespace DaprIoT.Statistics.Api;

/// <summary>
/// Telemetry the service refuses: counted every time (<see cref="StatisticsMetrics"/>), logged so that a stream of it
/// does not flood the log — an unreadable entry each time (it points at a publisher's bug), a removed device's readings
/// once per device. Remembers a bounded number of devices; past that, their readings are only counted.
/// </summary>
public sealed partial class TelemetryRejections(StatisticsMetrics metrics, ILogger<TelemetryRejections> logger)
{
    private const int MaxRemembered = 100_000;
    private readonly ConcurrentDictionary<string, byte> _logged = new(StringComparer.Ordinal);

    public void Unreadable(string entryId)
    {
        metrics.Readings("rejected", 1, "unreadable");
        UnreadableReading(logger, entryId);
    }

    public void DeviceRemoved(string deviceId, int count)
    {
        metrics.Readings("rejected", count, "device_removed");
        if (_logged.Count >= MaxRemembered || !_logged.TryAdd(deviceId, 0)) return;
        RemovedDeviceReadings(logger, deviceId, count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telemetry entry {EntryId} is not a telemetry reading; dropped")]
    private static partial void UnreadableReading(ILogger logger, string entryId);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Refused {Count} readings of device {DeviceId}: it was removed, so they must not bring its statistics back; further ones are only counted")]
    private static partial void RemovedDeviceReadings(ILogger logger, string deviceId, int count);
}
