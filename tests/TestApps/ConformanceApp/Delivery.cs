using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaprIoT.ConformanceApp;

/// <summary>One pub/sub delivery as this app saw it (CloudEvent attributes keep their CloudEvent names).</summary>
public sealed record Delivery(
    string? Id,
    string Key,
    string? Topic,
    [property: JsonPropertyName("pubsubname")] string? PubSubName,
    string? Type,
    string? Source,
    [property: JsonPropertyName("datacontenttype")] string? DataContentType,
    string Route,
    JsonElement? Data,
    string? DataBase64,
    [property: JsonPropertyName("traceparent")] string? TraceParent,
    int DeliveryCount,
    string Outcome,
    string Instance,
    DateTimeOffset ReceivedAt);
