using System.Text.Json;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// The processes a run has started — its apps and the servers of <c>--infra auto</c> — kept in its data folder
/// (<c>runs/{pid}-{id}.json</c>) while it runs, so that the next run can stop what a run left behind when it could not
/// stop it itself (killed with SIGKILL, out of memory): such an app still holds its port, so the new run's app could
/// not start and the new sidecar would talk to the old app; such a server would be used by the next run as it is and
/// then never stopped. A process is recognised by its pid and its start time (<see cref="ProcessStat"/>), never by the
/// pid alone, which the system may have given to another process since. A process that leads a process group of its
/// own (<see cref="OwnProcessGroup"/>) is stopped with its whole group, which also holds what it started, even once
/// the process itself has gone: Linux gives no process the number of a group that still has members. The files of
/// runs still alive are left alone.
/// </summary>
public sealed partial class ProcessLedger : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly string _file;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Entry> _processes = new();
    private bool _closed;

    private ProcessLedger(string file, ILogger logger)
    {
        _file = file;
        _logger = logger;
    }

    /// <summary>
    /// One process: pid, start time in clock ticks since boot, what it is (for the log: <c>app lightbulb</c>,
    /// <c>redis on port 6379</c>), and whether it leads a process group of its own.
    /// </summary>
    public sealed record Entry(int Pid, long StartTicks, string Name, bool OwnGroup = false);

    private sealed record Record(Entry Runtime, IReadOnlyList<Entry> Processes);

    public static string Folder(string dataDirectory) => Path.Combine(dataDirectory, "runs");

    /// <summary>
    /// Stops what earlier runs that are gone left running (SIGTERM, then SIGKILL after <paramref name="grace"/>),
    /// removes their files, and starts this run's file.
    /// </summary>
    public static async Task<ProcessLedger> OpenAsync(string dataDirectory, TimeSpan grace, ILogger logger, CancellationToken cancellationToken)
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
            if (record?.Runtime is null || record.Processes is null)
            {
                Unreadable(logger, file, "it names no runtime or no processes");
                TryDelete(file);
                continue;
            }
            if (IsRunning(record.Runtime)) continue;
            foreach (var process in record.Processes.Where(IsLeftOver))
                stops.Add(StopLeftoverAsync(process, grace, logger, cancellationToken));
            TryDelete(file);
        }
        await Task.WhenAll(stops);

        var self = Current(Environment.ProcessId, "dapr-local");
        var ledger = new ProcessLedger(Path.Combine(folder, $"{self.Pid}-{Guid.NewGuid():N}.json"), logger);
        ledger.Save();
        return ledger;
    }

    /// <summary>A process this run started: recorded until it exits.</summary>
    public void Started(int pid, string name, bool ownGroup)
    {
        lock (_lock)
        {
            _processes[pid] = Current(pid, name) with { OwnGroup = ownGroup };
            Save();
        }
    }

    public void Exited(int pid)
    {
        lock (_lock)
        {
            if (_processes.Remove(pid)) Save();
        }
    }

    /// <summary>Everything the run started has stopped: it leaves nothing to clean up.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _closed = true;
            TryDelete(_file);
        }
    }

    private void Save()
    {
        if (_closed) return;
        var record = new Record(Current(Environment.ProcessId, "dapr-local"), [.. _processes.Values]);
        // Written aside and renamed, so the next run never reads half a file.
        var temporary = _file + ".tmp";
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(record, Json));
            File.Move(temporary, _file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The record only helps a later run clean up after this one; nothing is held back for it.
            NotSaved(_logger, _file, e.Message);
        }
    }

    private static Entry Current(int pid, string name) => new(pid, ProcessStat.StartTicksOf(pid) ?? 0, name);

    private static bool IsRunning(Entry process) => process.StartTicks != 0 && ProcessStat.StartTicksOf(process.Pid) == process.StartTicks;

    /// <summary>
    /// The process still runs, or it has gone but processes it started are still in its group. A pid now running another
    /// process means the group is gone too: its number was free to give away.
    /// </summary>
    private static bool IsLeftOver(Entry process) =>
        ProcessStat.StartTicksOf(process.Pid) is null ? process.OwnGroup && ProcessStat.IsGroupAlive(process.Pid) : IsRunning(process);

    private static async Task StopLeftoverAsync(Entry leftover, TimeSpan grace, ILogger logger, CancellationToken cancellationToken)
    {
        LeftOver(logger, leftover.Name, leftover.Pid);
        ProcessSignals.TerminateWithGroup(leftover.Pid, leftover.OwnGroup);
        var deadline = DateTime.UtcNow + grace;
        while (IsLeftOver(leftover) && DateTime.UtcNow < deadline) await Task.Delay(50, cancellationToken);
        if (!IsLeftOver(leftover)) return;
        if (leftover.OwnGroup) ProcessSignals.KillGroup(leftover.Pid);
        if (!IsRunning(leftover)) return;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(leftover.Pid);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Process} (pid {Pid}) was left running by an earlier run that did not stop it; stopping it")]
    private static partial void LeftOver(ILogger logger, string process, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write {File}, this run's record of its processes (a later run cannot stop them if this one is killed): {Error}")]
    private static partial void NotSaved(ILogger logger, string file, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring {File}, an earlier run's record of its processes: {Error}")]
    private static partial void Unreadable(ILogger logger, string file, string error);
}
