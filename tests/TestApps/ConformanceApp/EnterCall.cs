namespace DaprIoT.ConformanceApp;

/// <summary>Argument of Probe.Enter: how long to hold the turn, and a label for the call order.</summary>
public sealed record EnterCall(int DelayMs, string? Label);
