using System.Runtime.InteropServices;

namespace DaprIoT.Benchmarks.Gateway;

/// <summary>
/// The open-file limit (RLIMIT_NOFILE). Every hub connection is a socket on both sides, and the processes this one
/// starts (dapr-local, and through it device-management and Mosquitto) inherit its limit, so it is raised to the hard
/// limit first.
/// </summary>
public static partial class OpenFiles
{
    private const int RlimitNofile = 7;   // Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);

    /// <summary>Raises the soft limit to the hard one; returns the soft limit now.</summary>
    public static long RaiseToHard()
    {
        if (getrlimit(RlimitNofile, out var limit) != 0) return -1;
        if (limit.Current < limit.Max)
        {
            var raised = limit with { Current = limit.Max };
            if (setrlimit(RlimitNofile, raised) == 0) limit = raised;
        }

        return limit.Current > long.MaxValue ? long.MaxValue : (long)limit.Current;
    }

    /// <summary>Descriptors a process has open now.</summary>
    public static int Open(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;
}
