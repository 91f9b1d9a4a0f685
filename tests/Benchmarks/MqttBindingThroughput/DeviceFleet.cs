using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace DaprIoT.Benchmarks.MqttBindingThroughput;

/// <summary>
/// The firmware's host build (<c>dapriot-devices</c>) running sous-vide cookers that publish telemetry at a total
/// rate, each with its own MQTT connection, for a fixed time; its JSON exit report says what they published.
/// </summary>
public sealed class DeviceFleet : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _allOnline = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _report = new();

    private DeviceFleet(Process process) => _process = process;

    /// <summary>Completes when the simulator says every device is connected.</summary>
    public Task AllOnline => _allOnline.Task;

    public Task Exited => _process.WaitForExitAsync();

    /// <param name="seconds">how long all devices publish together, after they have connected</param>
    /// <param name="connectRate">new connections per second</param>
    public static DeviceFleet Start(string simulatorPath, int brokerPort, int devices, int rate, int seconds, int connectRate)
    {
        var ramp = devices / connectRate + 10; // seconds to connect them all, plus slack for a busy broker
        var process = Process.Start(new ProcessStartInfo(simulatorPath,
        [
            "--broker", $"127.0.0.1:{brokerPort}", "--type", "sousvide", "--count", devices.ToString(CultureInfo.InvariantCulture),
            "--id-prefix", "bench-", "--rate", rate.ToString(CultureInfo.InvariantCulture),
            "--duration", (seconds + ramp).ToString(CultureInfo.InvariantCulture), "--connect-rate", connectRate.ToString(CultureInfo.InvariantCulture),
            "--status-interval", "10", "--report", "json",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("the device simulator did not start");
        var fleet = new DeviceFleet(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            Console.Error.WriteLine($"devices: {line}");
            if (line.Contains($"all {devices} devices online", StringComparison.Ordinal)) fleet._allOnline.TrySetResult();
        };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (fleet._report) fleet._report.AppendLine(line); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return fleet;
    }

    /// <summary>Waits for the simulator to finish and returns its exit report.</summary>
    public async Task<FleetReport> ExitAsync()
    {
        await _process.WaitForExitAsync();
        string json;
        lock (_report) json = _report.ToString().Trim();
        if (json.Length == 0) throw new InvalidOperationException($"the device simulator exited with {_process.ExitCode} and no report");
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new FleetReport(
            root.GetProperty("online").GetInt32(),
            root.GetProperty("telemetry").GetInt64(),
            root.GetProperty("telemetryPerS").GetDouble(),
            root.GetProperty("connectionsLost").GetInt64());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

public sealed record FleetReport(int Online, long Telemetry, double TelemetryPerSecond, long ConnectionsLost);
