using System.Runtime.InteropServices;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// POSIX signals for child processes and their process groups: .NET's Process.Kill only sends SIGKILL, and apps
/// deserve a SIGTERM first; a process group also reaches the processes an app started that have left its tree.
/// </summary>
internal static partial class ProcessSignals
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private static bool Terminate(int pid) => Send(pid, SigTerm);

    /// <summary>
    /// SIGTERM to the group <paramref name="pid"/> leads when <paramref name="ownGroup"/>, else to the process alone; also
    /// to the process alone when its group does not exist (yet: setsid had not made it when the signal came, or any
    /// more: the process left it).
    /// </summary>
    public static void TerminateWithGroup(int pid, bool ownGroup)
    {
        if (!ownGroup || !TerminateGroup(pid)) Terminate(pid);
    }

    /// <summary>SIGTERM to every process in the group <paramref name="processGroup"/>.</summary>
    public static bool TerminateGroup(int processGroup) => Send(-processGroup, SigTerm);

    /// <summary>SIGKILL to every process in the group <paramref name="processGroup"/>.</summary>
    public static bool KillGroup(int processGroup) => Send(-processGroup, SigKill);

    /// <summary>
    /// Whether any process is still in the group <paramref name="processGroup"/>, zombies included (signal 0 only
    /// checks); <see cref="ProcessStat.IsGroupAlive"/> leaves them out.
    /// </summary>
    public static bool GroupExists(int processGroup) => Send(-processGroup, 0);

    private static bool Send(int target, int signal) => !OperatingSystem.IsWindows() && Kill(target, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
