using System.Text.Json;
using DaprIoT.Dapr.Internal;

namespace DaprIoT.Dapr.Client;

/// <summary>The body of a timer registration; <see cref="Callback"/> is handed back to the app, not interpreted by daprd.</summary>
public sealed record ActorTimerRequest(string Callback, string? DueTime, string? Period = null, string? Ttl = null, JsonElement? Data = null)
{
    public static ActorTimerRequest Create(string callback, TimeSpan dueTime, TimeSpan? period = null, JsonElement? data = null, TimeSpan? ttl = null) =>
        new(callback, GoDuration.Format(dueTime), period is { } every ? GoDuration.Format(every) : null, ttl is { } limit ? GoDuration.Format(limit) : null, data);
}
