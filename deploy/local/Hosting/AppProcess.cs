using System.Diagnostics;
using System.Globalization;
using DaprIoT.LocalRuntime.Configuration;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// One run of an app's <c>command</c> in its <c>appDirPath</c>. Output is streamed line by line to the console
/// with the CLI's <c>== APP - {appId} ==</c> prefix and, per <c>appLogDestination</c>, to
/// <c>&lt;appDirPath&gt;/.dapr/logs/{appId}_app_{yyyyMMddHHmmss}.log</c>.
/// </summary>
public sealed partial class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private StreamWriter? _logFile;
    private readonly string _prefix;
    private readonly bool _toConsole;
    private readonly Lock _logGate = new();
    private readonly ILogger _logger;
    private readonly AppProcessLedger _ledger;

    private AppProcess(Process process, string prefix, bool toConsole, StreamWriter? logFile, AppProcessLedger ledger, ILogger logger)
    {
        _process = process;
        _ledger = ledger;
        Pid = process.Id;
        _prefix = prefix;
        _toConsole = toConsole;
        _logFile = logFile;
        _logger = logger;
        Exited = WaitForExitAsync();
    }

    /// <summary>How long an app may take to exit after SIGTERM (daprd's graceful shutdown default).</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>How long a killed app's output may stay open, held by a process it left behind, before the stop goes on.</summary>
    public static readonly TimeSpan OutputDrainGrace = TimeSpan.FromSeconds(2);

    public int Pid { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Completes with the exit code when the process has exited and its output is drained.</summary>
    public Task<int> Exited { get; }

    /// <summary>Starts the app and records it in <paramref name="ledger"/> until it is disposed.</summary>
    public static AppProcess Start(AppDefinition app, string displayName, IReadOnlyDictionary<string, string> env,
        AppProcessLedger ledger, ILogger logger)
    {
        var file = app.Command[0];
        if (file.Contains('/') && !Path.IsPathRooted(file)) file = Path.GetFullPath(Path.Combine(app.AppDirPath, file));
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = app.AppDirPath,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var arg in app.Command.Skip(1)) info.ArgumentList.Add(arg);
        foreach (var (key, value) in env) info.Environment[key] = value;

        StreamWriter? logFile = null;
        if (app.AppLogDestination is "file" or "fileAndConsole")
        {
            var folder = Path.Combine(app.AppDirPath, ".dapr", "logs");
            Directory.CreateDirectory(folder);
            var stamp = DateTime.Now.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            logFile = new StreamWriter(Path.Combine(folder, $"{displayName}_app_{stamp}.log"), append: true) { AutoFlush = true };
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            logFile?.Dispose();
            process.Dispose();
            throw new AppStartException($"app '{displayName}': cannot start '{string.Join(' ', app.Command)}' in {app.AppDirPath}: {e.Message}");
        }
        ledger.Started(process.Id, displayName);
        var result = new AppProcess(process, $"== APP - {displayName} == ", app.AppLogDestination != "file", logFile, ledger, logger);
        process.OutputDataReceived += (_, e) => result.Write(e.Data, Console.Out);
        process.ErrorDataReceived += (_, e) => result.Write(e.Data, Console.Error);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>SIGTERM, then SIGKILL (whole tree) when the app has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        ProcessSignals.Terminate(_process.Id);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await Exited.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Killed(_logger, _prefix.Trim(), _process.Id, grace.TotalSeconds);
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            // A process the app started and that left its tree (its parent exited, so init adopted it) is not killed
            // with it and may still hold the app's output open, which Exited waits to drain: do not wait for ever.
            try { await Exited.WaitAsync(OutputDrainGrace); }
            catch (TimeoutException) { OutputHeld(_logger, _prefix.Trim(), _process.Id, OutputDrainGrace.TotalSeconds); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(GracePeriod);
        _ledger.Exited(Pid);
        _process.Dispose();
        lock (_logGate)
        {
            _logFile?.Dispose();
            _logFile = null;
        }
    }

    private async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    private void Write(string? line, TextWriter console)
    {
        if (line is null) return;
        lock (_logGate)
        {
            if (_toConsole) console.WriteLine(_prefix + line);
            _logFile?.WriteLine(line);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{App} (pid {Pid}) was killed, but a process it started still holds its output open after {Seconds} s; no longer waiting for it")]
    private static partial void OutputHeld(ILogger logger, string app, int pid, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{App} (pid {Pid}) did not exit within {Seconds} s of SIGTERM; killing it")]
    private static partial void Killed(ILogger logger, string app, int pid, double seconds);
}
