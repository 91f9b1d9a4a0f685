namespace DaprIoT.Dapr.Tests;

/// <summary>What the fake sidecar answers.</summary>
public sealed record FakeResponse(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null, string? ContentType = null);
