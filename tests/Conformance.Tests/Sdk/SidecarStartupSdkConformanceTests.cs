using System.Text.Json;
using DaprIoT.Conformance.Tests.Harness;
using DaprIoT.LocalRuntime.Hosting;
using Xunit;

namespace DaprIoT.Conformance.Tests.Sdk;

/// <summary>Start-up as apps on the official Dapr .NET SDK see it.</summary>
public sealed class SidecarStartupSdkConformanceTests
{
    /// <summary>
    /// Apps that need the sidecar before they serve call <c>DaprClient.WaitForSidecarAsync</c> first, which polls
    /// <c>/v1.0/healthz/outbound</c> and has no time limit of its own. daprd answers it once its components are ready,
    /// without waiting for the app; a sidecar that waited for the app port would hang such an app for ever.
    /// </summary>
    [Fact]
    public async Task An_app_that_waits_for_its_sidecar_before_it_listens_gets_going()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dapr = await LocalRuntimeHarness.StartAsync(
        [
            new HarnessApp("caller"),
            ConformanceAppProcess.Entry("patient", FreePorts.Next(), new Dictionary<string, string> { ["WAIT_FOR_SIDECAR"] = "true" }),
        ], cancellationToken: ct);

        var pid = JsonDocument.Parse(await dapr.Client.GetStringAsync($"{dapr.SidecarUrl("caller")}/v1.0/invoke/patient/method/pid", ct)).RootElement;
        Assert.True(pid.GetProperty("waitedForSidecar").GetBoolean(), $"the app reports that it waited for its sidecar: {pid}");
        using var client = dapr.CreateDaprClient("patient");
        Assert.True(await client.CheckOutboundHealthAsync(ct));
        Assert.True(await client.CheckHealthAsync(ct));
    }

    [Fact]
    public async Task WaitForSidecarAsync_returns_while_the_app_is_not_listening_yet()
    {
        var ct = TestContext.Current.CancellationToken;
        // An app port nothing listens on: the sidecar's app channel never becomes ready.
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp("absent", FreePorts.Next())], cancellationToken: ct, waitHealthy: false);
        using var client = dapr.CreateDaprClient("absent");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(30));

        await client.WaitForSidecarAsync(limit.Token);

        Assert.True(await client.CheckOutboundHealthAsync(ct));
        Assert.False(await client.CheckHealthAsync(ct), "/v1.0/healthz stays unhealthy while the app does not listen");
    }
}
