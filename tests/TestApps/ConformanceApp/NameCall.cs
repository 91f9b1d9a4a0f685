namespace DaprIoT.ConformanceApp;

/// <summary>A reminder or timer name (cancel calls, and the data handed back to callbacks).</summary>
public sealed record NameCall(string Name);
