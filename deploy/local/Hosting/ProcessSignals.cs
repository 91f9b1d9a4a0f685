using System.Runtime.InteropServices;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>POSIX signals for child processes: .NET's Process.Kill only sends SIGKILL, and apps deserve a SIGTERM first.</summary>
internal static partial class ProcessSignals
{
    private const int SigTerm = 15;

    public static bool Terminate(int pid) => OperatingSystem.IsWindows() ? false : Kill(pid, SigTerm) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
