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

/// <summary>The platform's services as a test runs them: the built Release output, started as dapr.yaml starts it.</summary>
public static class BuiltServices
{
    /// <summary>
    /// App <paramref name="appId"/>: <c>services/{folder}</c>'s built <c>DaprIoT.{folder}.dll</c> listening on
    /// <paramref name="port"/>, with <paramref name="env"/> and any <paramref name="extraArgs"/>.
    /// </summary>
    public static HarnessApp App(string appId, string folder, int port, IReadOnlyDictionary<string, string> env, string[]? extraArgs = null)
    {
        var dll = RepositoryPaths.Built(Path.Combine("services", folder), $"DaprIoT.{folder}.dll", $"dotnet build services/{folder}");
        return new HarnessApp(appId, port,
            ["dotnet", dll, "--urls", $"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}", .. extraArgs ?? []], env);
    }
}
