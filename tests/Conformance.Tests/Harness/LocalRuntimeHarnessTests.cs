using System.Globalization;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.TestSupport;
using Xunit;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>The harness every suite starts dapr-local with: what a start that fails leaves behind.</summary>
public sealed class LocalRuntimeHarnessTests
{
    [Fact]
    public async Task A_runtime_whose_sidecar_never_turns_healthy_is_stopped_with_its_app_when_the_start_fails()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Directory.CreateTempSubdirectory("harness-start-").FullName;
        var pidFile = Path.Combine(folder, "app");
        // The app never listens on its port, so its sidecar never turns healthy. It first notes its pid and start time
        // (field 22 of /proc/{pid}/stat), so a pid given to another process since does not count as it.
        var app = new HarnessApp("never-ready", FreePorts.Next(),
            ["sh", "-c", $"echo $$ $(cut -d' ' -f22 /proc/$$/stat) > {pidFile}.tmp && mv {pidFile}.tmp {pidFile}; exec sleep 300"]);
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
        giveUp.CancelAfter(TimeSpan.FromSeconds(5));

        var starting = LocalRuntimeHarness.StartAsync([app], cancellationToken: giveUp.Token);
        var noted = await Eventually.UntilAsync(_ => Task.FromResult(File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : ""),
            text => text.Length > 0, "the app notes its pid", text => text, TimeSpan.FromSeconds(30), ct);
        var pid = int.Parse(noted.Split(' ')[0], CultureInfo.InvariantCulture);
        var startTicks = noted.Split(' ')[1];
        try
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);
            Assert.False(IsRunning(pid, startTicks), $"the app (pid {pid}) still runs after the failed start");
        }
        finally
        {
            if (IsRunning(pid, startTicks)) System.Diagnostics.Process.GetProcessById(pid).Kill();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static bool IsRunning(int pid, string startTicks)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The fields after the command name (in parentheses, and it may hold spaces): state is field 3, start time 22.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] != "Z" && fields[19] == startTicks;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
