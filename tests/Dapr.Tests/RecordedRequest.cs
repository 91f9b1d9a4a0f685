using System.Text.Json;

namespace DaprIoT.Dapr.Tests;

/// <summary>One request the fake sidecar received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string? ContentType, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}
