using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaprIoT.Dapr.Client;

/// <summary>A registered reminder as daprd reports it (with Scheduler, <c>period</c> comes back as e.g. <c>@every 30s</c>).</summary>
public sealed record ActorReminder(
    [property: JsonPropertyName("actorType")] string? ActorType,
    [property: JsonPropertyName("actorID")] string? ActorId,
    JsonElement? Data,
    string? DueTime,
    string? Period,
    string? Ttl);
