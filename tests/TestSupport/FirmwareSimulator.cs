using System.Collections.Concurrent;
using System.Diagnostics;

namespace DaprIoT.TestSupport;

/// <summary>
/// The real firmware, host build (<c>firmware/build/ports/host/dapriot-devices</c>, built by test.sh and run.sh): one
/// process running one or more devices against a broker, each with its own login. Tests stop it as a device can stop:
/// by dying (SIGKILL: the kernel closes the sockets and the broker publishes each device's last will), or by hanging
/// (SIGSTOP: connected but silent, until SIGCONT).
/// </summary>
public sealed class FirmwareSimulator : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _credentialsFile;
    private readonly ConcurrentQueue<string> _log = new();

    private FirmwareSimulator(Process process, string credentialsFile)
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

    /// <summary>What the process printed, one line each.</summary>
    public string Log => string.Join('\n', _log);

    /// <summary>
    /// Starts devices of <paramref name="type"/> with the logins of <paramref name="credentials"/> (device id → password);
    /// <paramref name="args"/> says which ids they run under (<c>--id</c>, or <c>--count</c> and <c>--id-prefix</c>) and how they behave.
    /// </summary>
    public static async Task<FirmwareSimulator> StartAsync(string broker, string type, IReadOnlyDictionary<string, string> credentials,
        IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Path.GetTempPath(), $"dapriot-credentials-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(file, credentials.Select(c => $"{c.Key} {c.Value}"), cancellationToken);
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--broker", broker, "--type", type, "--credentials", file,
                     "--status-interval", "0", "--backoff-min", "200", "--backoff-max", "1000" })
            info.ArgumentList.Add(arg);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("dapriot-devices could not be started");
        var simulator = new FirmwareSimulator(process, file);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) simulator._log.Enqueue(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) simulator._log.Enqueue(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return simulator;
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
        File.Delete(_credentialsFile);
    }

    private async Task SignalAsync(string signal, bool wait)
    {
        if (_process.HasExited) return;
        await Signals.SendAsync(_process.Id, signal);
        if (wait) await _process.WaitForExitAsync();
    }
}
