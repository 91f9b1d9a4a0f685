using System.Diagnostics;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// Starts a process as the leader of a process group of its own, as the CLI starts apps (<c>Setpgid</c>). The
/// terminal's Ctrl-C then reaches only dapr-local, which stops what it started in order — apps after their deliveries,
/// the servers of <c>--infra auto</c> last — instead of everything at once; and a signal to the group also reaches what
/// the process started, even after it has left the process's tree (its parent exited, so init adopted it). .NET cannot
/// start a process in a new group itself, so the process is started through util-linux's <c>setsid</c>, which gives it
/// a session and group of its own and then becomes it (same pid). Where <c>setsid</c> is missing the process shares
/// dapr-local's group.
/// </summary>
internal static class OwnProcessGroup
{
    private static readonly string? Setsid = OperatingSystem.IsWindows() ? null : Executables.Find("setsid");

    /// <summary>Whether processes start in a group of their own here (the group's id is then the process's pid).</summary>
    public static bool Available => Setsid is not null;

    /// <summary>
    /// Start info for <paramref name="executable"/>, a path (see <see cref="Executables.Find"/>: setsid reports a
    /// command it cannot run only in its exit code), in a group of its own where <see cref="Available"/>; the caller
    /// adds the arguments.
    /// </summary>
    public static ProcessStartInfo StartInfo(string executable)
    {
        if (Setsid is null) return new ProcessStartInfo(executable);
        var info = new ProcessStartInfo(Setsid);
        info.ArgumentList.Add("--");
        info.ArgumentList.Add(executable);
        return info;
    }
}
