using System.Diagnostics;
using System.Globalization;
using DaprIoT.LocalRuntime.Configuration;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// One run of an app's <c>command</c> in its <c>appDirPath</c>. Output is streamed line by line to the console
/// with the CLI's <c>== APP - {appId} ==</c> prefix and, per <c>appLogDestination</c>, to
/// <c>&lt;appDirPath&gt;/.dapr/logs/{appId}_app_{yyyyMMddHHmmss}.log</c>.
/// </summary>
/// <remarks>
/// Each app leads a process group of its own (<see cref="OwnProcessGroup"/>), and a stop signals the whole group, so
/// what the app started is stopped with it instead of running on, holding ports and the app's output. When the app
/// exits by itself, what it left in its group is stopped too, before the app is taken for exited: its run is over, and
/// the supervisor would otherwise start the next one beside it.
/// </remarks>
public sealed partial class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private StreamWriter? _logFile;
    private readonly string _prefix;
    private readonly bool _toConsole;
    private readonly Lock _logGate = new();
    private readonly ILogger _logger;
    private readonly ProcessLedger _ledger;

    /// <summary>Whether the app leads a process group of its own (its pid is the group's id).</summary>
    private readonly bool _ownGroup;

    /// <summary>Completes when the app's process itself has exited, whatever it left behind.</summary>
    private readonly Task _appExited;

    private AppProcess(Process process, Task appExited, bool ownGroup, string prefix, bool toConsole, StreamWriter? logFile,
        ProcessLedger ledger, ILogger logger)
    {
        _process = process;
        _appExited = appExited;
        _ownGroup = ownGroup;
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

    /// <summary>How long an exited app's output may stay open, held by a process it left behind, before it counts as exited.</summary>
    public static readonly TimeSpan OutputDrainGrace = TimeSpan.FromSeconds(2);

    public int Pid { get; }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// Completes with the exit code when the process has exited, the processes left in its group have been stopped,
    /// and its output is drained (or still held open after <see cref="OutputDrainGrace"/>).
    /// </summary>
    public Task<int> Exited { get; }

    /// <summary>Starts the app and records it in <paramref name="ledger"/> until it is disposed.</summary>
    public static AppProcess Start(AppDefinition app, string displayName, IReadOnlyDictionary<string, string> env,
        ProcessLedger ledger, ILogger logger)
    {
        var file = app.Command[0];
        if (file.Contains('/') && !Path.IsPathRooted(file)) file = Path.GetFullPath(Path.Combine(app.AppDirPath, file));
        var ownGroup = OwnProcessGroup.Available;
        // Through setsid a command that cannot run would only be an exit code: look it up first, and report it as .NET
        // would have, as an app that cannot start.
        var executable = !ownGroup ? file : Executables.Find(file)
            ?? throw CannotStart(file.Contains('/') ? $"{file} does not exist or is not executable" : $"no executable {file} on PATH");
        var info = OwnProcessGroup.StartInfo(executable);
        info.WorkingDirectory = app.AppDirPath;
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = false;
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
        // Raised when the process exits, before its output is drained (which Process.WaitForExitAsync waits for too).
        var appExited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => appExited.TrySetResult();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            logFile?.Dispose();
            process.Dispose();
            throw CannotStart(e.Message);
        }
        ledger.Started(process.Id, $"app {displayName}", ownGroup);
        var result = new AppProcess(process, appExited.Task, ownGroup, $"== APP - {displayName} == ", app.AppLogDestination != "file", logFile, ledger, logger);
        process.OutputDataReceived += (_, e) => result.Write(e.Data, Console.Out);
        process.ErrorDataReceived += (_, e) => result.Write(e.Data, Console.Error);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;

        AppStartException CannotStart(string reason) =>
            new($"app '{displayName}': cannot start '{string.Join(' ', app.Command)}' in {app.AppDirPath}: {reason}");
    }

    /// <summary>
    /// SIGTERM to the app's group, then SIGKILL to the group and the app's tree when the app has not exited within
    /// <paramref name="grace"/>; completes when <see cref="Exited"/> does.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            ProcessSignals.TerminateWithGroup(Pid, _ownGroup);
            try
            {
                await _appExited.WaitAsync(grace);
            }
            catch (TimeoutException)
            {
                Killed(_logger, _prefix.Trim(), Pid, grace.TotalSeconds);
                if (_ownGroup) ProcessSignals.KillGroup(Pid);
                try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            }
        }
        await Exited;
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
        await _appExited;
        await StopLeftInGroupAsync();
        // A process the app started that left both its tree and its group (a session of its own) outlives it and may
        // hold its output open for ever: do not wait for that.
        try { await _process.WaitForExitAsync().WaitAsync(OutputDrainGrace); }
        catch (TimeoutException) { OutputHeld(_logger, _prefix.Trim(), Pid, OutputDrainGrace.TotalSeconds); }
        return _process.ExitCode;
    }

    /// <summary>The app has exited; what it left in its group gets SIGTERM, and SIGKILL after the grace.</summary>
    private async Task StopLeftInGroupAsync()
    {
        if (!GroupRemains()) return;
        ProcessSignals.TerminateGroup(Pid);
        var deadline = Stopwatch.GetTimestamp() + (long)(GracePeriod.TotalSeconds * Stopwatch.Frequency);
        while (GroupRemains() && Stopwatch.GetTimestamp() < deadline) await Task.Delay(50);
        if (!GroupRemains()) return;
        LeftKilled(_logger, _prefix.Trim(), Pid, GracePeriod.TotalSeconds);
        ProcessSignals.KillGroup(Pid);
    }

    private bool GroupRemains() => _ownGroup && ProcessStat.IsGroupAlive(Pid);

    private void Write(string? line, TextWriter console)
    {
        if (line is null) return;
        lock (_logGate)
        {
            if (_toConsole) console.WriteLine(_prefix + line);
            _logFile?.WriteLine(line);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{App} (pid {Pid}) has exited, but a process it started still holds its output open after {Seconds} s; no longer waiting for it")]
    private static partial void OutputHeld(ILogger logger, string app, int pid, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{App} (pid {Pid}) did not exit within {Seconds} s of SIGTERM; killing it")]
    private static partial void Killed(ILogger logger, string app, int pid, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{App} (pid {Pid}) has exited; processes it started were still running {Seconds} s after SIGTERM; killing them")]
    private static partial void LeftKilled(ILogger logger, string app, int pid, double seconds);
}
