using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace DaprIoT.DeviceServices.Tests.Platform;

/// <summary>
/// The real firmware, host build: <c>dapriot-devices</c> running devices against the platform's broker with their
/// own credentials. Tests stop it as a device can stop: cleanly (SIGTERM: an <c>offline</c> first), by dying
/// (SIGKILL: the broker sends the last will), or by hanging (SIGSTOP: connected but silent).
/// </summary>
public sealed class SimulatedDevices : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private SimulatedDevices(Process process) => _process = process;

    public string Log => string.Join('\n', _log);

    /// <summary>
    /// Starts <paramref name="credentials"/>.Count devices of <paramref name="type"/> whose ids are the keys, numbered
    /// from 1 after <paramref name="idPrefix"/> (e.g. "t1-bulb-" → t1-bulb-1, t1-bulb-2).
    /// </summary>
    public static async Task<SimulatedDevices> StartAsync(int brokerPort, string type, string idPrefix, IReadOnlyDictionary<string, string> credentials,
        IEnumerable<string>? extraArgs, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Path.GetTempPath(), $"dapriot-credentials-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(file, credentials.Select(c => $"{c.Key} {c.Value}"), cancellationToken);
        var info = new ProcessStartInfo(PlatformPaths.DeviceSimulator)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--broker", $"127.0.0.1:{brokerPort.ToString(CultureInfo.InvariantCulture)}", "--type", type,
                     "--count", credentials.Count.ToString(CultureInfo.InvariantCulture), "--id-prefix", idPrefix, "--credentials", file,
                     "--status-interval", "0", "--backoff-min", "200", "--backoff-max", "1000" })
            info.ArgumentList.Add(arg);
        foreach (var arg in extraArgs ?? []) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("dapriot-devices could not be started");
        var devices = new SimulatedDevices(process);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) devices._log.Enqueue(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) devices._log.Enqueue(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return devices;
    }

    /// <summary>Dies: the kernel closes its sockets and the broker publishes each device's last will.</summary>
    public Task KillAsync() => SignalAsync("KILL", wait: true);

    /// <summary>Hangs: the connections stay open, nothing is answered.</summary>
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
    }

    private async Task SignalAsync(string signal, bool wait)
    {
        if (_process.HasExited) return;
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        if (wait) await _process.WaitForExitAsync();
    }
}
