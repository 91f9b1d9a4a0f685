namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>App health probing settings (<c>enableAppHealthCheck</c> and friends); null when disabled.</summary>
public sealed record AppHealthCheck(string Path, TimeSpan Interval, TimeSpan Timeout, int Threshold);

/// <summary>
/// One <c>apps[]</c> entry of <c>dapr.yaml</c> after merging <c>common</c> and resolving paths. The same
/// <see cref="AppId"/> may appear several times: each entry is a replica with its own <see cref="Replica"/> index.
/// Ports are null where the file leaves them to the runtime.
/// </summary>
public sealed record AppDefinition
{
    public required string AppId { get; init; }
    public required int Replica { get; init; }
    public string InstanceId => $"{AppId}-{Replica}";
    public required string AppDirPath { get; init; }
    public IReadOnlyList<string> Command { get; init; } = [];
    public int? AppPort { get; init; }
    public string AppProtocol { get; init; } = "http";
    public string AppChannelAddress { get; init; } = "127.0.0.1";
    public int? DaprHttpPort { get; init; }
    public int? DaprGrpcPort { get; init; }
    public int? MetricsPort { get; init; }
    /// <summary>Resource folders in effect for this app (§10.1 precedence; alternatives, not merged).</summary>
    public IReadOnlyList<string> ResourcesPaths { get; init; } = [];
    public string? ConfigFilePath { get; init; }
    /// <summary>The run file's env for this app: common values overridden by the app's own.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public AppHealthCheck? HealthCheck { get; init; }
    public string AppLogDestination { get; init; } = "fileAndConsole";
    public long MaxBodySize { get; init; } = 4 * 1024 * 1024;
}
