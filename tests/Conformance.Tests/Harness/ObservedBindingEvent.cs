namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>One entry of the ConformanceApp's <c>GET /binding-events</c>: an input-binding delivery as the app saw it.</summary>
public sealed record ObservedBindingEvent(
    string Name,
    string Body,
    string BodyBase64,
    IReadOnlyDictionary<string, string> Metadata,
    string Instance,
    DateTimeOffset ReceivedAt);
