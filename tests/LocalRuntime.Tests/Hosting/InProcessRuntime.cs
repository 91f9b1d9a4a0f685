using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.LocalRuntime.Sidecar;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Hosting;

/// <summary>
/// The runtime started in the test process from a run file written to a temp folder; sidecars get free ports.
/// Apps are usually <see cref="RecordingApp"/>s (no command) or small shell commands.
/// </summary>
public sealed class InProcessRuntime : IAsyncDisposable
{
    private readonly TempFolder _folder;

    private InProcessRuntime(TempFolder folder, RuntimeHost host)
    {
        _folder = folder;
        Host = host;
    }

    public RuntimeHost Host { get; }

    public string Folder => _folder.Path;

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <param name="runFile">dapr.yaml; app folders are created as <c>./apps/{name}</c> when referenced that way.</param>
    /// <param name="resources">file name → YAML, written to <c>./resources</c> (give <c>common.resourcesPaths: [./resources]</c>).</param>
    /// <param name="files">other files by path relative to the run file's folder.</param>
    public static async Task<InProcessRuntime> StartAsync(string runFile, IReadOnlyDictionary<string, string>? resources = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null,
        IReadOnlyDictionary<string, string>? files = null, CancellationToken cancellationToken = default)
    {
        var folder = new TempFolder();
        folder.Folder("resources");
        foreach (var (name, yaml) in resources ?? new Dictionary<string, string>()) folder.Write(Path.Combine("resources", name), yaml);
        foreach (var line in runFile.Split('\n'))
        {
            var marker = line.IndexOf("./apps/", StringComparison.Ordinal);
            if (marker >= 0) folder.Folder(new string(line[(marker + 2)..].TakeWhile(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_').ToArray()));
        }
        foreach (var (name, text) in files ?? new Dictionary<string, string>()) folder.Write(name, text);
        folder.Write("dapr.yaml", runFile);
        var host = new RuntimeHost(RunFileLoader.Load(folder.Path),
            new RuntimeOptions(Path.Combine(folder.Path, ".dapr-local"), InfrastructureMode.None), NullLoggerFactory.Instance, configureServices);
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            await host.DisposeAsync();
            folder.Dispose();
            throw;
        }
        return new InProcessRuntime(folder, host);
    }

    /// <summary>A run of one app, <c>sleeper</c>, whose command is <c>sleep 300</c>: a process that waits to be stopped.</summary>
    public static Task<InProcessRuntime> StartSleeperAsync(CancellationToken cancellationToken) => StartAsync("""
        version: 1
        apps:
          - appID: sleeper
            appDirPath: ./apps/sleeper
            command: ["sleep", "300"]
        """, cancellationToken: cancellationToken);

    /// <summary>The process the runtime started for <paramref name="appId"/>, once it has started one.</summary>
    public async Task<System.Diagnostics.Process> AppProcessAsync(string appId, CancellationToken cancellationToken)
    {
        await Poll.UntilAsync(() => Sidecar(appId).Extended.ContainsKey("appPID"), cancellationToken, TimeSpan.FromSeconds(5));
        return System.Diagnostics.Process.GetProcessById(int.Parse(Sidecar(appId).Extended["appPID"], System.Globalization.CultureInfo.InvariantCulture));
    }

    public SidecarHost Sidecar(string appId, int replica = 0) =>
        Host.Sidecars.Single(s => s.AppId == appId && s.Settings.App.Replica == replica);

    public string Url(string appId, int replica = 0) => $"http://127.0.0.1:{Sidecar(appId, replica).Context.HttpPort}";

    /// <summary>Polls <c>/v1.0/healthz</c> of every sidecar until all answer 204.</summary>
    public async Task WaitHealthyAsync(CancellationToken cancellationToken, TimeSpan? within = null)
    {
        var deadline = DateTimeOffset.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        foreach (var sidecar in Host.Sidecars)
        {
            while (true)
            {
                using var response = await Client.GetAsync($"http://127.0.0.1:{sidecar.Context.HttpPort}/v1.0/healthz", cancellationToken);
                if (response.StatusCode == System.Net.HttpStatusCode.NoContent) break;
                if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException($"{sidecar.Context.InstanceId} did not become healthy");
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Client.Dispose();
        _folder.Dispose();
    }
}
