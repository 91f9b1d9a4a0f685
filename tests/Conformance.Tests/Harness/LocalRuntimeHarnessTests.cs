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
        // (field 22 of /proc/{pid}/stat, as ProcessStat reads it), so a pid given to another process since does not count as it.
        var app = new HarnessApp("never-ready", FreePorts.Next(),
            ["sh", "-c", $"echo $$ $(cut -d' ' -f22 /proc/$$/stat) > {pidFile}.tmp && mv {pidFile}.tmp {pidFile}; exec sleep 300"]);
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
        giveUp.CancelAfter(TimeSpan.FromSeconds(5));

        var starting = LocalRuntimeHarness.StartAsync([app], cancellationToken: giveUp.Token);
        var noted = await Eventually.UntilAsync(_ => Task.FromResult(File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : ""),
            text => text.Length > 0, "the app notes its pid", text => text, TimeSpan.FromSeconds(30), ct);
        var pid = int.Parse(noted.Split(' ')[0], CultureInfo.InvariantCulture);
        var startTicks = long.Parse(noted.Split(' ')[1], CultureInfo.InvariantCulture);
        try
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting);
            Assert.False(ProcessStat.StartTicksOf(pid) == startTicks, $"the app (pid {pid}) still runs after the failed start");
        }
        finally
        {
            if (ProcessStat.StartTicksOf(pid) == startTicks) System.Diagnostics.Process.GetProcessById(pid).Kill();
            Directory.Delete(folder, recursive: true);
        }
    }
}
