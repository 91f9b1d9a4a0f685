using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DaprIoT.TestSupport;

namespace DaprIoT.Frontend.Tests.Support;

/// <summary>
/// One device of the real firmware, host build (<c>firmware/build/ports/host/dapriot-devices</c>, built by test.sh and
/// run.sh), connecting to the platform's Mosquitto with the login device-management issued. Stopped as a device can
/// stop: by dying (SIGKILL: the broker publishes its last will), or by hanging for a while (SIGSTOP / SIGCONT).
/// </summary>
public sealed class FirmwareDevice : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _credentialsFile;
    private readonly ConcurrentQueue<string> _log = new();

    private FirmwareDevice(Process process, string credentialsFile)
    {
        _process = process;
        _credentialsFile = credentialsFile;
    }

    public static string Executable
    {
        get
        {
            var path = Path.Combine(RepositoryPaths.Root, "firmware", "build", "ports", "host", "dapriot-devices");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"{path} is not built; run `cmake -S firmware -B firmware/build && cmake --build firmware/build --target dapriot-devices`", path);
        }
    }

    /// <summary>What the device process printed, one line each.</summary>
    public string Log => string.Join('\n', _log);

    public static async Task<FirmwareDevice> StartAsync(string type, string deviceId, string password, string broker,
        TimeSpan telemetryInterval, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Path.GetTempPath(), $"dapriot-credentials-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, $"{deviceId} {password}\n", cancellationToken);
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--broker", broker, "--type", type, "--id", deviceId,
                     "--credentials", file, "--telemetry-interval", ((int)telemetryInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                     "--status-interval", "0", "--backoff-min", "200", "--backoff-max", "1000",
                 })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("dapriot-devices could not be started");
        var device = new FirmwareDevice(process, file);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) device._log.Enqueue(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) device._log.Enqueue(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return device;
    }

    /// <summary>Dies: the kernel closes its socket and the broker publishes the device's last will.</summary>
    public Task KillAsync() => SignalAsync("KILL", wait: true);

    /// <summary>Hangs: its connection stays open, nothing is answered.</summary>
    public Task PauseAsync() => SignalAsync("STOP", wait: false);

    public Task ResumeAsync() => SignalAsync("CONT", wait: false);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await SignalAsync("CONT", wait: false);
            await SignalAsync("KILL", wait: true);
        }

        _process.Dispose();
        File.Delete(_credentialsFile);
    }

    private async Task SignalAsync(string signal, bool wait)
    {
        if (_process.HasExited) return;
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        if (wait) await _process.WaitForExitAsync();
    }
}
