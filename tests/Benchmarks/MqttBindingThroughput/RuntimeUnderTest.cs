using System.Diagnostics;
using System.Net;

namespace DaprIoT.Benchmarks.MqttBindingThroughput;

/// <summary>
/// A dapr-local process running one app (the in-process <see cref="TelemetryApp"/>, declared without a command) with
/// one <c>bindings.mqtt3</c> input binding on every device's telemetry topic of the private broker.
/// </summary>
public sealed class RuntimeUnderTest : IAsyncDisposable
{
    public const string TopicFilter = "dapriot/+/+/telemetry";

    private readonly Process _process;
    private readonly string _folder;

    private RuntimeUnderTest(Process process, string folder)
    {
        _process = process;
        _folder = folder;
    }

    /// <summary>CPU time dapr-local has used so far, user and system.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>dapr-local's peak resident memory (VmHWM) in MB.</summary>
    public double PeakMemoryMb
    {
        get
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        }
    }

    /// <summary>What dapr-local printed, for a failed run.</summary>
    public string LogFile => Path.Combine(_folder, "dapr-local.log");

    public static async Task<RuntimeUnderTest> StartAsync(int appPort, int brokerPort, string runtimePath)
    {
        var folder = Directory.CreateTempSubdirectory("mqtt-bench-runtime-").FullName;
        var sidecarPort = Ports.Free();
        Directory.CreateDirectory(Path.Combine(folder, "resources"));
        await File.WriteAllTextAsync(Path.Combine(folder, "dapr.yaml"), $"""
            version: 1
            common:
              resourcesPaths: [./resources]
            apps:
              - appID: telemetry-service
                appDirPath: .
                appPort: {appPort}
                daprHTTPPort: {sidecarPort}
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "resources", "telemetry.yaml"), $$"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: telemetry }
            spec:
              type: bindings.mqtt3
              version: v1
              metadata:
                - { name: url, value: "tcp://127.0.0.1:{{brokerPort}}" }
                - { name: topic, value: "{{TopicFilter}}" }
                - { name: consumerID, value: "bench-{{Guid.NewGuid():N}}" }
                - { name: cleanSession, value: "true" }
            """);

        var log = new StreamWriter(Path.Combine(folder, "dapr-local.log")) { AutoFlush = true };
        var process = Process.Start(new ProcessStartInfo("dotnet", [runtimePath, "-f", folder, "--infra", "none"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("dapr-local did not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (log) log.WriteLine(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (log) log.WriteLine(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var runtime = new RuntimeUnderTest(process, folder);
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"dapr-local exited with {process.ExitCode}; see {runtime.LogFile}");
            try
            {
                using var health = await http.GetAsync($"http://127.0.0.1:{sidecarPort}/v1.0/healthz");
                if (health.StatusCode == HttpStatusCode.NoContent) return runtime;
            }
            catch (HttpRequestException)
            {
                // The sidecar is not listening yet.
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The sidecar was not healthy within 60 s; see {runtime.LogFile}");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
