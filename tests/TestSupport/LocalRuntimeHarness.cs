using DaprIoT.LocalRuntime.Hosting;
using Dapr.Client;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace DaprIoT.TestSupport;

/// <summary>
/// Runs the built <c>dapr-local</c> as its own process, exactly as a developer would: it writes a temp folder with a
/// <c>dapr.yaml</c> (every sidecar's HTTP and gRPC API on free ports the harness picks, so ports survive a restart) and a
/// <c>resources/</c> folder, starts <c>dotnet dapr-local.dll -f &lt;folder&gt; --infra none</c>, and waits until every
/// sidecar's <c>/v1.0/healthz</c> answers 204.
/// <code>
/// await using var app = await HostedApp.StartAsync(ct);
/// await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp("orders", app.Port), new HarnessApp("caller")],
///     new Dictionary&lt;string, string&gt; { ["pubsub.yaml"] = "..." }, ct);
/// var response = await dapr.Client.GetAsync($"{dapr.SidecarUrl("caller")}/v1.0/invoke/orders/method/hello", ct);
/// await dapr.RestartAsync(ct);   // same folder, same ports, same data directory
/// </code>
/// </summary>
public sealed class LocalRuntimeHarness : IAsyncDisposable
{
    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(60);
    private readonly List<(HarnessApp App, int Replica, int SidecarPort, int GrpcPort)> _sidecars;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private readonly string _infrastructure;

    private LocalRuntimeHarness(string folder, List<(HarnessApp, int, int, int)> sidecars, string infrastructure)
    {
        Folder = folder;
        _sidecars = sidecars;
        _infrastructure = infrastructure;
    }

    /// <summary>The run folder: dapr.yaml, resources/, apps/{appId}/ and the runtime's data directory .dapr-local/.</summary>
    public string Folder { get; }

    public string RunFilePath => Path.Combine(Folder, "dapr.yaml");

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Everything the runtime (and its apps) printed so far, one line each.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// The warning, error and critical lines the runtime and its apps printed so far (console logger: warn:, fail:,
    /// crit:); an app's console logger puts the message on the line after the category, so it is joined to it.
    /// </summary>
    public IReadOnlyList<string> LoggedProblems()
    {
        static bool IsProblem(string line) => line.Contains("warn: ", StringComparison.Ordinal)
            || line.Contains("fail: ", StringComparison.Ordinal) || line.Contains("crit: ", StringComparison.Ordinal);
        var lines = _output.ToArray();
        var problems = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!IsProblem(lines[i])) continue;
            var categoryOnly = lines[i].TrimEnd().EndsWith(']') && i + 1 < lines.Length && !IsProblem(lines[i + 1]);
            problems.Add(categoryOnly ? $"{lines[i].TrimEnd()} {lines[i + 1].Trim()}" : lines[i]);
        }

        return problems;
    }

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Completes with the exit code when the runtime process exits on its own (e.g. after POST /v1.0/shutdown).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        if (_process is not { } process) throw new InvalidOperationException("the runtime is not running");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(within);
        await process.WaitForExitAsync(limit.Token);
        return process.ExitCode;
    }

    /// <summary>Writes the run folder, starts the runtime and waits for every sidecar to be healthy.</summary>
    /// <param name="resources">file name → YAML placed in <c>resources/</c> (every app's resources path).</param>
    /// <param name="files">other files, by path relative to the run folder (e.g. <c>apps/orders/config.yaml</c>).</param>
    /// <param name="infrastructure"><c>none</c> (shared brokers on their usual ports) or <c>auto</c> (the runtime starts brokers a component needs on a free loopback port).</param>
    public static async Task<LocalRuntimeHarness> StartAsync(IReadOnlyList<HarnessApp> apps,
        IReadOnlyDictionary<string, string>? resources = null, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<string, string>? files = null, bool waitHealthy = true, string infrastructure = "none")
    {
        var harness = Create(apps, resources, files, infrastructure);
        try
        {
            await harness.StartProcessAsync(cancellationToken);
            if (waitHealthy) await harness.WaitHealthyAsync(cancellationToken);
            return harness;
        }
        catch
        {
            // Nobody else holds the harness yet: a runtime that did not come up is stopped here, with its apps and the
            // servers it started, instead of running on beside the rest of the test run.
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <c>dapr-local</c> on a run file the test writes verbatim and waits for it to exit (for bad input).</summary>
    public static async Task<(int ExitCode, string Output, string Folder)> RunToExitAsync(string runFileYaml,
        IReadOnlyDictionary<string, string>? files = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var folder = NewFolder();
        foreach (var (name, text) in files ?? new Dictionary<string, string>()) Write(folder, name, text);
        Write(folder, "dapr.yaml", runFileYaml);
        var output = new ConcurrentQueue<string>();
        using var process = StartDaprLocal(folder, output, "none");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dapr-local did not exit:\n{string.Join('\n', output)}");
        }
        return (process.ExitCode, string.Join('\n', output), folder);
    }

    public int SidecarPort(string appId, int replica = 0) =>
        _sidecars.Single(s => s.App.AppId == appId && s.Replica == replica).SidecarPort;

    public string SidecarUrl(string appId, int replica = 0) =>
        $"http://127.0.0.1:{SidecarPort(appId, replica).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The sidecar's gRPC API port (<c>daprGRPCPort</c>, the app's DAPR_GRPC_PORT).</summary>
    public int GrpcPort(string appId, int replica = 0) =>
        _sidecars.Single(s => s.App.AppId == appId && s.Replica == replica).GrpcPort;

    /// <summary>
    /// A <see cref="DaprClient"/> on one sidecar, as the app behind it would build one from DAPR_GRPC_PORT and
    /// DAPR_HTTP_PORT (and DAPR_API_TOKEN when <paramref name="apiToken"/> is given), serialising with
    /// <paramref name="json"/> when given (as the services do, with the contracts' options). Dispose it after use.
    /// </summary>
    public DaprClient CreateDaprClient(string appId, int replica = 0, string? apiToken = null, JsonSerializerOptions? json = null)
    {
        var builder = new DaprClientBuilder()
            .UseGrpcEndpoint($"http://127.0.0.1:{GrpcPort(appId, replica).ToString(CultureInfo.InvariantCulture)}")
            .UseHttpEndpoint(SidecarUrl(appId, replica));
        if (apiToken is not null) builder.UseDaprApiToken(apiToken);
        if (json is not null) builder.UseJsonSerializationOptions(json);
        return builder.Build();
    }

    /// <summary>The PID of the app process behind a sidecar (<c>extended.appPID</c> in its metadata, as the CLI stores it).</summary>
    public async Task<int> AppPidAsync(string appId, int replica = 0, CancellationToken cancellationToken = default)
    {
        var json = await Client.GetStringAsync($"{SidecarUrl(appId, replica)}/v1.0/metadata", cancellationToken);
        using var metadata = System.Text.Json.JsonDocument.Parse(json);
        return int.Parse(metadata.RootElement.GetProperty("extended").GetProperty("appPID").GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The pub/sub components through which a sidecar's app subscribes to <paramref name="topic"/>, from the sidecar's
    /// metadata; none while the sidecar does not answer yet.
    /// </summary>
    public async Task<IReadOnlyList<string>> SubscribedPubSubsAsync(string appId, string topic, int replica = 0, CancellationToken cancellationToken = default)
    {
        try
        {
            using var metadata = System.Text.Json.JsonDocument.Parse(await Client.GetStringAsync($"{SidecarUrl(appId, replica)}/v1.0/metadata", cancellationToken));
            return metadata.RootElement.TryGetProperty("subscriptions", out var subscriptions)
                ? [.. subscriptions.EnumerateArray()
                    .Where(s => s.GetProperty("topic").GetString() == topic)
                    .Select(s => s.GetProperty("pubsubname").GetString() ?? "")]
                : [];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    /// <summary>Kills an app process (SIGKILL) as a crash would; the runtime restarts it with backoff. Returns the killed PID.</summary>
    public async Task<int> KillAppAsync(string appId, int replica = 0, CancellationToken cancellationToken = default)
    {
        var pid = await AppPidAsync(appId, replica, cancellationToken);
        using var process = Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync(cancellationToken);
        return pid;
    }

    /// <summary>Polls every sidecar's <c>/v1.0/healthz</c> until each answers 204.</summary>
    public async Task WaitHealthyAsync(CancellationToken cancellationToken, TimeSpan? within = null)
    {
        var deadline = DateTimeOffset.UtcNow + (within ?? DefaultStartTimeout);
        foreach (var (app, replica, port, _) in _sidecars)
        {
            while (!await IsHealthyAsync(port, cancellationToken))
            {
                if (_process is { HasExited: true } p)
                    throw new InvalidOperationException($"dapr-local exited with code {p.ExitCode}:\n{Output}");
                if (DateTimeOffset.UtcNow > deadline)
                    throw new TimeoutException($"sidecar of {app.AppId} #{replica} (port {port}) was not healthy in time:\n{Output}");
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    /// <summary>Stops the runtime as Ctrl-C would (SIGTERM), killing it if it has not exited within 20 s.</summary>
    public async Task<int> StopAsync()
    {
        if (_process is not { } process) return 0;
        _process = null;
        if (!process.HasExited)
        {
            await Signals.SendAsync(process.Id, "TERM");
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await process.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
        }
        var code = process.ExitCode;
        process.Dispose();
        return code;
    }

    /// <summary>
    /// Kills the runtime and everything it started — apps, servers of <c>--infra auto</c> — with SIGKILL, as a crash of
    /// the machine would: nothing gets to shut down. <see cref="RestartAsync"/> starts it again.
    /// </summary>
    public async Task KillAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    /// <summary>Stops the runtime and starts it again on the same folder, ports and data directory.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken, bool waitHealthy = true)
    {
        await StopAsync();
        await StartProcessAsync(cancellationToken);
        if (waitHealthy) await WaitHealthyAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Client.Dispose();
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static LocalRuntimeHarness Create(IReadOnlyList<HarnessApp> apps, IReadOnlyDictionary<string, string>? resources,
        IReadOnlyDictionary<string, string>? files, string infrastructure)
    {
        var folder = NewFolder();
        Directory.CreateDirectory(Path.Combine(folder, "resources"));
        foreach (var (name, yaml) in resources ?? new Dictionary<string, string>()) Write(folder, Path.Combine("resources", name), yaml);
        foreach (var (name, text) in files ?? new Dictionary<string, string>()) Write(folder, name, text);

        var sidecars = new List<(HarnessApp, int, int, int)>();
        var yamlText = new StringBuilder("version: 1\ncommon:\n  resourcesPaths: [./resources]\napps:\n");
        foreach (var app in apps)
        {
            var replica = sidecars.Count(s => s.Item1.AppId == app.AppId);
            var port = FreePorts.Next();
            var grpcPort = FreePorts.Next();
            sidecars.Add((app, replica, port, grpcPort));
            Directory.CreateDirectory(Path.Combine(folder, "apps", app.AppId));
            yamlText.Append(CultureInfo.InvariantCulture,
                $"  - appID: {app.AppId}\n    appDirPath: ./apps/{app.AppId}\n    daprHTTPPort: {port}\n    daprGRPCPort: {grpcPort}\n");
            if (app.AppPort is { } appPort) yamlText.Append(CultureInfo.InvariantCulture, $"    appPort: {appPort}\n");
            if (app.Command is { Count: > 0 } command)
                yamlText.Append(CultureInfo.InvariantCulture, $"    command: [{string.Join(", ", command.Select(Quote))}]\n");
            if (app.Env is { Count: > 0 } env)
            {
                yamlText.Append("    env:\n");
                foreach (var (key, value) in env) yamlText.Append(CultureInfo.InvariantCulture, $"      {key}: {Quote(value)}\n");
            }
            if (app.Yaml is { } extra)
                foreach (var line in extra.Split('\n', StringSplitOptions.RemoveEmptyEntries)) yamlText.Append("    ").Append(line.Trim()).Append('\n');
        }
        Write(folder, "dapr.yaml", yamlText.ToString());
        return new LocalRuntimeHarness(folder, sidecars, infrastructure);
    }

    private Task StartProcessAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _process = StartDaprLocal(Folder, _output, _infrastructure);
        return Task.CompletedTask;
    }

    private static Process StartDaprLocal(string folder, ConcurrentQueue<string> output, string infrastructure)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        foreach (var arg in new[] { RepositoryPaths.DaprLocalDll, "-f", folder, "--infra", infrastructure }) info.ArgumentList.Add(arg);
        // The tokens come from the run file only, never from whoever runs the tests.
        info.Environment.Remove("DAPR_API_TOKEN");
        info.Environment.Remove("APP_API_TOKEN");
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task<bool> IsHealthyAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Client.GetAsync($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/v1.0/healthz", cancellationToken);
            return response.StatusCode == HttpStatusCode.NoContent;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dapr-local-runs", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static void Write(string folder, string relative, string text)
    {
        var path = Path.Combine(folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
