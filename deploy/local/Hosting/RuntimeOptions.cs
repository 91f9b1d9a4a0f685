namespace DaprIoT.LocalRuntime.Hosting;

public enum InfrastructureMode { Auto, None }

/// <summary>Command-line settings of one runtime: where its data lives and whether it starts brokers itself.</summary>
public sealed record RuntimeOptions(string DataDirectory, InfrastructureMode Infrastructure = InfrastructureMode.Auto);
