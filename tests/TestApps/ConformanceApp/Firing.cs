namespace DaprIoT.ConformanceApp;

/// <summary>One reminder or timer callback, persisted in the Probe's state.</summary>
public sealed record Firing(string Name, DateTimeOffset FiredAt, string Instance);
