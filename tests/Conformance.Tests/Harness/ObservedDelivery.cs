using System.Text.Json;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>One entry of the ConformanceApp's <c>GET /deliveries</c>: a pub/sub delivery as the app saw it.</summary>
public sealed record ObservedDelivery(
    string? Id,
    string Key,
    string? Topic,
    string? PubSubName,
    string? Type,
    string? Source,
    string? DataContentType,
    string Route,
    JsonElement? Data,
    string? DataBase64,
    string? TraceParent,
    int DeliveryCount,
    string Outcome,
    string Instance,
    DateTimeOffset ReceivedAt);
