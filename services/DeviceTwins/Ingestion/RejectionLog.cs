using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DaprIoT.DeviceTwins.Ingestion;

/// <summary>
/// Logs a rejected device message once per device, kind and reason: a device that keeps sending the same bad message
/// is counted every time (<see cref="DeviceMetrics"/>) but does not flood the log. Remembers a bounded number of
/// combinations; past that, rejections are only counted.
/// </summary>
public sealed partial class RejectionLog(ILogger<RejectionLog> logger)
{
    private const int MaxRemembered = 100_000;
    private readonly ConcurrentDictionary<(string Device, string Kind, string Reason), byte> _logged = new();

    public void Rejected(string device, string kind, string reason, string? field, string topic)
    {
        if (_logged.Count >= MaxRemembered || !_logged.TryAdd((device, kind, reason), 0)) return;
        Log.Rejected(logger, kind, device, topic, reason, field ?? "-");
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning,
            Message = "Rejected a {Kind} message from device {Device} on {Topic}: {Reason} (field {Field}); further ones like it are only counted")]
        public static partial void Rejected(ILogger logger, string kind, string device, string topic, string reason, string field);
    }
}
