using System.Text.Json;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// The app processes a run has started, kept in its data folder (<c>runs/{pid}-{id}.json</c>) while it runs, so that
/// the next run can stop the apps a run left behind when it could not stop them itself (killed with SIGKILL, out of
/// memory): such an app still holds its port, so the new run's app could not start and the new sidecar would talk to
/// the old app. A process is recognised by its pid and its start time (<see cref="ProcessStat"/>), never by the pid
/// alone, which the system may have given to another process since. An app that leads a process group of its own
/// (<see cref="AppProcess"/>) is stopped with its whole group, which also holds what it started, even once the app
/// itself has gone: Linux gives no process the number of a group that still has members. The files of runs still
/// alive are left alone.
/// </summary>
public sealed partial class AppProcessLedger : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly string _file;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Entry> _apps = new();

    private AppProcessLedger(string file, ILogger logger)
    {
        _file = file;
        _logger = logger;
    }

    /// <summary>
    /// One process: pid, start time in clock ticks since boot, for an app its display name, and whether it leads a
    /// process group of its own (records written before apps had one say nothing, so false).
    /// </summary>
    public sealed record Entry(int Pid, long StartTicks, string Name, bool OwnGroup = false);

    private sealed record Record(Entry Runtime, IReadOnlyList<Entry> Apps);

    public static string Folder(string dataDirectory) => Path.Combine(dataDirectory, "runs");

    /// <summary>
    /// Stops the apps of earlier runs that are gone (SIGTERM, then SIGKILL after <paramref name="grace"/>), removes their
    /// files, and starts this run's file.
    /// </summary>
    public static async Task<AppProcessLedger> OpenAsync(string dataDirectory, TimeSpan grace, ILogger logger, CancellationToken cancellationToken)
    {
        var folder = Folder(dataDirectory);
        Directory.CreateDirectory(folder);
        var stops = new List<Task>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
        {
            Record? record;
            try
            {
                record = JsonSerializer.Deserialize<Record>(File.ReadAllText(file));
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                Unreadable(logger, file, e.Message);
                TryDelete(file);
                continue;
            }
            if (record is null || IsRunning(record.Runtime)) continue;
            foreach (var app in record.Apps.Where(IsLeftOver))
                stops.Add(StopLeftoverAsync(app, grace, logger, cancellationToken));
            TryDelete(file);
        }
        await Task.WhenAll(stops);

        var self = Current(Environment.ProcessId, "dapr-local");
        var ledger = new AppProcessLedger(Path.Combine(folder, $"{self.Pid}-{Guid.NewGuid():N}.json"), logger);
        ledger.Save();
        return ledger;
    }

    /// <summary>An app process this run started: recorded until it exits.</summary>
    public void Started(int pid, string name, bool ownGroup)
    {
        lock (_lock)
        {
            _apps[pid] = Current(pid, name) with { OwnGroup = ownGroup };
            Save();
        }
    }

    public void Exited(int pid)
    {
        lock (_lock)
        {
            if (_apps.Remove(pid)) Save();
        }
    }

    /// <summary>Every app has stopped: the run leaves nothing to clean up.</summary>
    public void Dispose()
    {
        lock (_lock) TryDelete(_file);
    }

    private void Save()
    {
        var record = new Record(Current(Environment.ProcessId, "dapr-local"), [.. _apps.Values]);
        // Written aside and renamed, so the next run never reads half a file.
        var temporary = _file + ".tmp";
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(record, Json));
            File.Move(temporary, _file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The record only helps a later run clean up after this one; an app is not held back for it.
            NotSaved(_logger, _file, e.Message);
        }
    }

    private static Entry Current(int pid, string name) => new(pid, ProcessStat.StartTicksOf(pid) ?? 0, name);

    private static bool IsRunning(Entry process) => process.StartTicks != 0 && ProcessStat.StartTicksOf(process.Pid) == process.StartTicks;

    /// <summary>
    /// The app still runs, or it has gone but processes it started are still in its group. A pid now running another
    /// process means the group is gone too: its number was free to give away.
    /// </summary>
    private static bool IsLeftOver(Entry app) =>
        ProcessStat.StartTicksOf(app.Pid) is null ? app.OwnGroup && ProcessStat.IsGroupAlive(app.Pid) : IsRunning(app);

    private static async Task StopLeftoverAsync(Entry app, TimeSpan grace, ILogger logger, CancellationToken cancellationToken)
    {
        LeftOver(logger, app.Name, app.Pid);
        if (app.OwnGroup) ProcessSignals.TerminateGroup(app.Pid);
        else ProcessSignals.Terminate(app.Pid);
        var deadline = DateTime.UtcNow + grace;
        while (IsLeftOver(app) && DateTime.UtcNow < deadline) await Task.Delay(50, cancellationToken);
        if (!IsLeftOver(app)) return;
        if (app.OwnGroup) ProcessSignals.KillGroup(app.Pid);
        if (!IsRunning(app)) return;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(app.Pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // It exited just now.
        }
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {App} (pid {Pid}) was left running by an earlier run that did not stop it; stopping it")]
    private static partial void LeftOver(ILogger logger, string app, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write {File}, this run's record of its apps (a later run cannot stop them if this one is killed): {Error}")]
    private static partial void NotSaved(ILogger logger, string file, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring {File}, an earlier run's record of its apps: {Error}")]
    private static partial void Unreadable(ILogger logger, string file, string error);
}
