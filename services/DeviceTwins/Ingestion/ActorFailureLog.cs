using Microsoft.Extensions.Logging;

namespace DaprIoT.DeviceTwins.Ingestion;

/// <summary>
/// Logs device messages their actor did not take — the sidecar is away, actor placement is moving (a replica starting
/// or stopping), or the actor failed — at most once per <see cref="Interval"/>, with how many failed since the last
/// line. An outage fails every message at once; each is counted (<see cref="DeviceMetrics"/>), and the broker delivers
/// the QoS 1 ones (state, ack, presence) again — a QoS 0 telemetry reading is gone — so one line says what happened
/// instead of a stack trace per message. An exception inside the actor is also logged where it happens, by the actor's
/// host.
/// </summary>
public sealed partial class ActorFailureLog(ILogger<ActorFailureLog> logger, TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private long _nextLineAt = long.MinValue;
    private int _sinceLastLine;

    public void Failed(string device, string kind, Exception error)
    {
        int count;
        lock (_lock)
        {
            _sinceLastLine++;
            var now = time.GetTimestamp();
            if (now < _nextLineAt) return;
            _nextLineAt = now + (long)(Interval.TotalSeconds * time.TimestampFrequency);
            count = _sinceLastLine;
            _sinceLastLine = 0;
        }
        Log.Failed(logger, count, kind, device, error.GetType().Name, error.Message);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning,
            Message = "{Count} device message(s) were not taken by their actor since the last such line (the broker delivers QoS 1 ones again); the latest, a {Kind} message of device {Device}: {ErrorType}: {Error}")]
        public static partial void Failed(ILogger logger, int count, string kind, string device, string errorType, string error);
    }
}
