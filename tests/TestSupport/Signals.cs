using System.Diagnostics;
using System.Globalization;

namespace DaprIoT.TestSupport;

/// <summary>POSIX signals to a process, sent as an operator sends them (kill(1)): .NET's Process can only send SIGKILL.</summary>
public static class Signals
{
    /// <param name="signal">The signal's name without <c>SIG</c>: STOP, CONT, TERM, KILL.</param>
    public static async Task SendAsync(int processId, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", processId.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
    }
}
