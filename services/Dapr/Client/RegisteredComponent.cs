namespace DaprIoT.Dapr.Client;

public sealed record RegisteredComponent(string Name, string Type, string? Version, IReadOnlyList<string>? Capabilities);
