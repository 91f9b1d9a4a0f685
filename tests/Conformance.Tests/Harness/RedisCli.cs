using System.Diagnostics;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>Runs <c>redis-cli</c> against the shared Redis on 127.0.0.1:6379, to look at what the runtime stored and to clean up.</summary>
public static class RedisCli
{
    /// <summary>Runs one command (arguments passed as-is, no shell) and returns its output lines.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(CancellationToken cancellationToken, params string[] command)
    {
        var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-h", "127.0.0.1", "-p", "6379", "--raw" }.Concat(command)) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli could not be started");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"redis-cli {string.Join(' ', command)} failed ({process.ExitCode}): {error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
