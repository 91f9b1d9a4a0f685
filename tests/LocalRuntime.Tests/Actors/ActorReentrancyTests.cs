using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Actors;
using DaprIoT.LocalRuntime.State;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Actors;

public sealed class ActorReentrancyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static InMemoryStateStore Store() => new("actorstore", TimeProvider.System);

    [Fact]
    public async Task With_reentrancy_enabled_an_actor_can_call_itself_back_within_its_turn()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0",
            ActorTestRuntime.HostConfig("Device", ""","reentrancy":{"enabled":true,"maxStackDepth":4}"""), Store(), Ct);

        using var response = await host.Client.PostAsync("v1.0/actors/Device/a/method/reenter", null, Ct);

        Assert.Equal("outer+devices-0:Hello:", await response.Content.ReadAsStringAsync(Ct));
        var calls = host.App.CallsTo("Device", "a").ToList();
        Assert.Equal(["reenter", "Hello"], calls.Select(c => c.Method));
        Assert.False(string.IsNullOrEmpty(calls[0].Headers["Dapr-Reentrancy-Id"]));
        Assert.Equal(calls[0].Headers["Dapr-Reentrancy-Id"], calls[1].Headers["Dapr-Reentrancy-Id"]);
    }

    [Fact]
    public async Task Reentrancy_set_for_one_type_in_entitiesConfig_leaves_other_types_without_it()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device,Gateway",
            ""","entitiesConfig":[{"entities":["Gateway"],"reentrancy":{"enabled":true}}]"""), Store(), Ct);

        using var reentrant = await host.Client.PostAsync("v1.0/actors/Gateway/g/method/reenter", null, Ct);
        using var plain = await host.Client.PostAsync("v1.0/actors/Device/d/method/Hello", null, Ct);

        Assert.Equal(HttpStatusCode.OK, reentrant.StatusCode);
        Assert.Contains("Dapr-Reentrancy-Id", host.App.CallsTo("Gateway", "g").First().Headers.Keys);
        Assert.DoesNotContain("Dapr-Reentrancy-Id", host.App.CallsTo("Device", "d").Single().Headers.Keys);
    }

    [Fact]
    public async Task A_call_with_another_reentrancy_id_waits_for_the_turn_in_progress()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0",
            ActorTestRuntime.HostConfig("Device", ""","reentrancy":{"enabled":true}"""), Store(), Ct);

        var holder = runtime.Placement.InvokeAsync(
            new ActorCall("Device", "a", "slow", Encoding.UTF8.GetBytes("300"), "text/plain", [], "", "chain-1"), Ct);
        var other = runtime.Placement.InvokeAsync(
            new ActorCall("Device", "a", "Hello", [], null, [], "", "chain-2"), Ct);
        await Task.WhenAll(holder, other);

        Assert.Equal(["slow", "Hello"], host.App.CallsTo("Device", "a").Select(c => c.Method));
        Assert.Empty(runtime.Ledger.Violations);
    }
}
