using DaprIoT.LocalRuntime.Hosting;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.Core;

public sealed class AppRestartConformanceTests
{
    [Fact]
    public async Task A_killed_app_is_restarted_with_backoff_and_its_sidecar_becomes_healthy_again()
    {
        var ct = TestContext.Current.CancellationToken;
        var appPort = FreePorts.Next();
        await using var dapr = await LocalRuntimeHarness.StartAsync(
            [ConformanceAppProcess.Entry("web", appPort)],
            cancellationToken: ct);
        var firstPid = await dapr.KillAppAsync("web", cancellationToken: ct);
        var killedAt = Stopwatch.StartNew();
        var secondPid = firstPid;
        while (secondPid == firstPid)
        {
            Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(15), "the app was not restarted");
            await Task.Delay(50, ct);
            secondPid = await dapr.AppPidAsync("web", cancellationToken: ct);
        }
        // Measured when the new process appears: the backoff, without the app's own start-up time.
        var firstDelay = killedAt.Elapsed;
        await dapr.WaitHealthyAsync(ct);

        Assert.Equal(secondPid, await dapr.KillAppAsync("web", cancellationToken: ct));
        killedAt.Restart();
        var thirdPid = secondPid;
        while (thirdPid == secondPid)
        {
            Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(15), "the app was not restarted a second time");
            await Task.Delay(50, ct);
            thirdPid = await dapr.AppPidAsync("web", cancellationToken: ct);
        }
        var secondDelay = killedAt.Elapsed;
        await dapr.WaitHealthyAsync(ct);

        Assert.InRange(firstDelay, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.True(secondDelay > firstDelay + TimeSpan.FromSeconds(0.5), $"backoff grows: {firstDelay} then {secondDelay}");
        using var response = await dapr.Client.GetAsync($"{dapr.SidecarUrl("web")}/v1.0/invoke/web/method/pid", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_runtime_can_be_stopped_and_started_again_on_the_same_ports()
    {
        var ct = TestContext.Current.CancellationToken;
        var appPort = FreePorts.Next();
        await using var dapr = await LocalRuntimeHarness.StartAsync(
            [ConformanceAppProcess.Entry("web", appPort)],
            cancellationToken: ct);
        var firstPid = await dapr.AppPidAsync("web", cancellationToken: ct);

        var exitCode = await dapr.StopAsync();
        Assert.Equal(0, exitCode);
        Assert.True(HasExited(firstPid), "the app is stopped with the runtime");
        await dapr.RestartAsync(ct);

        Assert.NotEqual(firstPid, await dapr.AppPidAsync("web", cancellationToken: ct));
    }

    [Fact]
    public async Task Post_shutdown_stops_the_app_and_a_runtime_with_nothing_left_to_run_exits()
    {
        var ct = TestContext.Current.CancellationToken;
        var appPort = FreePorts.Next();
        await using var dapr = await LocalRuntimeHarness.StartAsync(
            [ConformanceAppProcess.Entry("job", appPort)],
            cancellationToken: ct);
        var pid = await dapr.AppPidAsync("job", cancellationToken: ct);

        using var response = await dapr.Client.PostAsync($"{dapr.SidecarUrl("job")}/v1.0/shutdown", null, ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(0, await dapr.WaitForExitAsync(TimeSpan.FromSeconds(20), ct));
        Assert.True(HasExited(pid));
    }

    private static bool HasExited(int pid)
    {
        try { return Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return true; }
    }
}
