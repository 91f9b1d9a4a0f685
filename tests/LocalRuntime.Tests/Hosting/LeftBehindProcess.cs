using System.Globalization;
using DaprIoT.LocalRuntime.Hosting;

namespace DaprIoT.LocalRuntime.Tests.Hosting;

/// <summary>
/// A <c>sleep 300</c> a test app starts from a subshell that exits at once, so init adopts it: it has left the app's
/// process tree but is still in the app's process group, unless started in a session of its own. Known by pid and
/// start time, so a pid given to another process since does not count as it.
/// </summary>
internal sealed record LeftBehindProcess(int Pid, long StartTicks)
{
    /// <summary>
    /// Shell that starts such a process and writes its pid and start time (<c>/proc/{pid}/stat</c>, field 22) to
    /// <paramref name="file"/>, written aside and renamed so it is never read half-written.
    /// </summary>
    /// <param name="ownSession">Start it through <c>setsid</c>: it then leaves the app's process group too.</param>
    public static string StartCommand(string file, bool ownSession = false) =>
        $"({(ownSession ? "setsid " : "")}sleep 300 & echo $! $(cut -d' ' -f22 /proc/$!/stat) > {file}.tmp && mv {file}.tmp {file})";

    public static async Task<LeftBehindProcess> ReadAsync(string file, CancellationToken cancellationToken)
    {
        await Poll.UntilAsync(() => File.Exists(file), cancellationToken);
        var fields = File.ReadAllText(file).Split(' ', StringSplitOptions.TrimEntries);
        return new LeftBehindProcess(int.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture));
    }

    public bool IsRunning => ProcessStat.StartTicksOf(Pid) == StartTicks;

    /// <summary>Ends it if a test left it running.</summary>
    public void Kill()
    {
        if (IsRunning) System.Diagnostics.Process.GetProcessById(Pid).Kill();
    }
}
