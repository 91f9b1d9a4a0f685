using System.Globalization;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// What dapr-local reads of a process in <c>/proc/{pid}/stat</c> (Linux): its state, its process group and its start
/// time in clock ticks since boot. A process that has ended but whose parent has not collected its exit status yet (a
/// zombie) counts as gone: a process adopted by init stays one until init gets round to it, which may take seconds.
/// </summary>
internal readonly record struct ProcessStat(char State, int ProcessGroup, long StartTicks)
{
    public bool IsZombie => State is 'Z' or 'X';

    /// <summary>
    /// The process's stat, or null when no such process exists. Fields are counted after the command name, which is
    /// in parentheses and may hold spaces: state is the first, the group the third, the start time the twentieth.
    /// </summary>
    public static ProcessStat? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && fields[0].Length == 1
            && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var group)
            && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                ? new ProcessStat(fields[0][0], group, ticks)
                : null;
    }

    /// <summary>The start time of a live process, or null when none runs under <paramref name="pid"/>.</summary>
    public static long? StartTicksOf(int pid) => Read(pid) is { IsZombie: false } stat ? stat.StartTicks : null;

    /// <summary>Whether a live process is in the group <paramref name="processGroup"/>.</summary>
    public static bool IsGroupAlive(int processGroup)
    {
        // Signal 0 tells cheaply that the group is empty, zombies aside; only then are its members looked for.
        if (!ProcessSignals.GroupExists(processGroup)) return false;
        if (!Directory.Exists("/proc")) return true;
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && Read(pid) is { IsZombie: false } stat && stat.ProcessGroup == processGroup)
                return true;
        }
        return false;
    }
}
