namespace DaprIoT.Dapr.Tests;

public sealed record SlowCall(string Label, int DelayMs);
