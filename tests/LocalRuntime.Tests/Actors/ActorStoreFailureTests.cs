using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Actors;
using DaprIoT.LocalRuntime.State;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Actors;

public sealed class ActorStoreFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sidecar_whose_reminders_cannot_be_loaded_fails_to_start_and_hosts_nothing()
    {
        await using var runtime = new ActorTestRuntime(addressLookupTimeout: TimeSpan.FromMilliseconds(100));

        var error = await Assert.ThrowsAsync<IOException>(() =>
            runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), new FailingStateStore("actorstore"), Ct));

        Assert.Contains("connection refused", error.Message);
        var caller = await runtime.AddSidecarAsync("gateway", "gateway-0", null, null, Ct);
        using var response = await caller.Client.PostAsync("v1.0/actors/Cooker/c1/method/Hello", null, Ct);
        await ActorTestHttp.ErrorAsync(response, 404, "ERR_ACTOR_NO_ADDRESS");
    }

    [Fact]
    public async Task Unreadable_stored_reminders_are_left_untouched_and_changes_to_them_are_refused()
    {
        var store = new InMemoryStateStore("actorstore", TimeProvider.System);
        await store.SetAsync(new StateSet(StoredReminder.StoreKey("cookers", "Cooker", 0), Encoding.UTF8.GetBytes("{not json")), Ct);
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);

        using var created = await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/r", """{"dueTime":"1m"}""");
        using var called = await host.Client.PostAsync("v1.0/actors/Cooker/c1/method/Hello", null, Ct);

        Assert.Contains("cannot be read", await ActorTestHttp.ErrorAsync(created, 500, "ERR_ACTOR_REMINDER_CREATE"));
        Assert.Equal(HttpStatusCode.OK, called.StatusCode);
        Assert.Equal("{not json", Encoding.UTF8.GetString((await store.GetAsync(StoredReminder.StoreKey("cookers", "Cooker", 0), Ct))!.Value));
    }

    [Fact]
    public async Task A_state_store_failure_on_read_is_a_500_ERR_ACTOR_STATE_GET()
    {
        await using var runtime = new ActorTestRuntime();
        var caller = await runtime.AddSidecarAsync("gateway", "gateway-0", null, new FailingStateStore("actorstore"), Ct);

        using var response = await caller.Client.GetAsync("v1.0/actors/Cooker/c1/state/k", Ct);

        Assert.Equal("error getting actor state: connection refused (127.0.0.1:1)", await ActorTestHttp.ErrorAsync(response, 500, "ERR_ACTOR_STATE_GET"));
    }
}
