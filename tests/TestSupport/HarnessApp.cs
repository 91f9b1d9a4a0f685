namespace DaprIoT.TestSupport;

/// <summary>
/// One <c>apps[]</c> entry the harness writes into dapr.yaml. Give the same <see cref="AppId"/> twice for two
/// replicas. <see cref="Command"/> null means no command (the sidecar waits for whatever listens on
/// <see cref="AppPort"/>, e.g. an app the test hosts itself). <see cref="Yaml"/> adds raw lines to the entry
/// (e.g. <c>enableAppHealthCheck: true</c>).
/// </summary>
public sealed record HarnessApp(
    string AppId,
    int? AppPort = null,
    IReadOnlyList<string>? Command = null,
    IReadOnlyDictionary<string, string>? Env = null,
    string? Yaml = null);
