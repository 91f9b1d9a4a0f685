using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DaprIoT.Benchmarks.RuntimeLatency;

/// <summary>
/// A dapr-local process running one app (the in-process <see cref="BenchmarkApp"/>, declared without a command)
/// on the chosen bus, with <c>state.redis</c> as <c>statestore</c> and an in-memory actor state store (actor calls
/// here touch no state, so only the hop itself is measured).
/// </summary>
public sealed class RuntimeUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private const int MaxProblems = 100;
    private readonly List<string> _problems;

    private RuntimeUnderTest(Process process, string folder, int sidecarPort, int grpcPort, List<string> problems)
    {
        _problems = problems;
        _process = process;
        _folder = folder;
        SidecarPort = sidecarPort;
        GrpcPort = grpcPort;
    }

    public const string StateStore = "statestore";

    /// <summary>The sidecar's HTTP API (DAPR_HTTP_PORT).</summary>
    public int SidecarPort { get; }

    /// <summary>The sidecar's gRPC API (DAPR_GRPC_PORT).</summary>
    public int GrpcPort { get; }

    /// <summary>The dapr-local process, for its CPU and memory.</summary>
    public int ProcessId => _process.Id;

    /// <param name="redisConcurrency">pubsub.redis <c>concurrency</c>; 10 is the component's default.</param>
    public static async Task<RuntimeUnderTest> StartAsync(int appPort, string bus, string runtimePath, int redisConcurrency = 10)
    {
        if (!File.Exists(runtimePath))
            throw new FileNotFoundException($"dapr-local was not found at {runtimePath}; build deploy/local first or pass --runtime", runtimePath);
        var folder = Directory.CreateTempSubdirectory("dapr-local-bench-").FullName;
        var sidecarPort = FreePort();
        var grpcPort = FreePort();
        Directory.CreateDirectory(Path.Combine(folder, "resources"));
        await File.WriteAllTextAsync(Path.Combine(folder, "dapr.yaml"), $"""
            version: 1
            common:
              resourcesPaths: [./resources]
            apps:
              - appID: bench
                appDirPath: .
                appPort: {appPort}
                daprHTTPPort: {sidecarPort}
                daprGRPCPort: {grpcPort}
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "resources", "statestore.yaml"), $$"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: {{StateStore}} }
            spec:
              type: state.redis
              version: v1
              metadata:
                - { name: redisHost, value: "127.0.0.1:6379" }
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: actorstore }
            spec:
              type: state.in-memory
              version: v1
              metadata:
                - { name: actorStateStore, value: "true" }
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "resources", "pubsub.yaml"), bus switch
        {
            "redis" => $"""
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata: {"{"} name: pubsub {"}"}
                spec:
                  type: pubsub.redis
                  version: v1
                  metadata:
                    - {"{"} name: redisHost, value: "127.0.0.1:6379" {"}"}
                    - {"{"} name: consumerID, value: "bench-{Guid.NewGuid():N}" {"}"}
                    - {"{"} name: concurrency, value: "{redisConcurrency}" {"}"}
                """,
            "rabbitmq" => $"""
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata: {"{"} name: pubsub {"}"}
                spec:
                  type: pubsub.rabbitmq
                  version: v1
                  metadata:
                    - {"{"} name: connectionString, value: "amqp://guest:guest@127.0.0.1:5672" {"}"}
                    - {"{"} name: consumerID, value: "bench-{Guid.NewGuid():N}" {"}"}
                    - {"{"} name: deliveryMode, value: "2" {"}"}
                    - {"{"} name: publisherConfirm, value: "true" {"}"}
                """,
            _ => throw new ArgumentException($"Unknown bus '{bus}': use redis or rabbitmq"),
        });

        var start = new ProcessStartInfo("dotnet", [runtimePath, "-f", folder, "--infra", "none"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("dapr-local did not start");
        var output = new System.Text.StringBuilder();
        var problems = new List<string>();
        void Collect(string? line)
        {
            if (line is null) return;
            // The whole output is for a failed start, so it is bounded; problems are kept for PrintLoggedProblems.
            lock (output)
            {
                if (output.Length < 1_000_000) output.AppendLine(line);
            }
            if (!IsProblem(line)) return;
            lock (problems)
            {
                if (problems.Count < MaxProblems) problems.Add(line);
            }
        }
        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) => Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var runtime = new RuntimeUnderTest(process, folder, sidecarPort, grpcPort, problems);
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                lock (output) throw new InvalidOperationException($"dapr-local exited with {process.ExitCode}:\n{output}");
            }
            try
            {
                var health = await http.GetAsync($"http://127.0.0.1:{sidecarPort}/v1.0/healthz");
                if (health.StatusCode == HttpStatusCode.NoContent) return runtime;
            }
            catch (HttpRequestException)
            {
                // The sidecar is not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                await runtime.DisposeAsync();
                lock (output) throw new TimeoutException($"The sidecar was not healthy within 60 s:\n{output}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Prints the warnings and errors dapr-local logged so far (its console logger marks them warn:, fail: and
    /// crit:; its run-file check, "dapr-local: warning:"), so a figure that rests on failed calls or redeliveries
    /// does not pass unnoticed.
    /// </summary>
    public void PrintLoggedProblems()
    {
        List<string> problems;
        lock (_problems) problems = [.. _problems];
        if (problems.Count == 0) return;
        Console.WriteLine($"  dapr-local logged {(problems.Count >= MaxProblems ? $"{MaxProblems} or more" : problems.Count)} warning or error lines; the first {Math.Min(3, problems.Count)}:");
        foreach (var line in problems.Take(3)) Console.WriteLine($"    {line}");
    }

    private static bool IsProblem(string line) =>
        line.Contains(" warn: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal) ||
        line.Contains(" crit: ", StringComparison.Ordinal) || line.StartsWith("dapr-local: warning:", StringComparison.Ordinal);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
