using System.Text.Json;
using DaprIoT.Dapr.Internal;

namespace DaprIoT.Dapr.Client;

/// <summary>
/// The body of a reminder registration. Times are Go or ISO-8601 durations as daprd accepts them; use hours, not
/// days (<c>24h</c>, not <c>P1D</c>): Scheduler-backed reminders reject day/month/year periods.
/// </summary>
public sealed record ActorReminderRequest(string? DueTime, string? Period = null, string? Ttl = null, JsonElement? Data = null)
{
    public static ActorReminderRequest Create(TimeSpan dueTime, TimeSpan? period = null, JsonElement? data = null, TimeSpan? ttl = null) =>
        new(GoDuration.Format(dueTime), period is { } every ? GoDuration.Format(every) : null, ttl is { } limit ? GoDuration.Format(limit) : null, data);
}
