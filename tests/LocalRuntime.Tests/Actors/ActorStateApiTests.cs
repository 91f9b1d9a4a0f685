using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.State;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Actors;

public sealed class ActorStateApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<TestSidecar> HostAsync(ActorTestRuntime runtime, IStateStore store)
    {
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), store, Ct);
        (await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct)).Dispose();
        return host;
    }

    [Fact]
    public async Task A_transaction_is_stored_under_Daprs_actor_key_scheme_and_read_back()
    {
        var store = new InMemoryStateStore("actorstore", TimeProvider.System);
        await using var runtime = new ActorTestRuntime();
        var host = await HostAsync(runtime, store);
        await store.SetAsync(new StateSet("devices||Device||a||pending", "1"u8.ToArray()), Ct);

        using var saved = await host.Client.PostJsonAsync("v1.0/actors/Device/a/state", """
            [ { "operation": "upsert", "request": { "key": "fw", "value": { "v": "1.2.3" } } },
              { "operation": "upsert", "request": { "key": "name", "value": "lamp" } },
              { "operation": "delete", "request": { "key": "pending" } } ]
            """);

        Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        Assert.Equal("""{ "v": "1.2.3" }""", Encoding.UTF8.GetString((await store.GetAsync("devices||Device||a||fw", Ct))!.Value));
        Assert.Equal("\"lamp\"", Encoding.UTF8.GetString((await store.GetAsync("devices||Device||a||name", Ct))!.Value));
        Assert.Null(await store.GetAsync("devices||Device||a||pending", Ct));
        using var fw = await host.Client.GetAsync("v1.0/actors/Device/a/state/fw", Ct);
        Assert.Equal(HttpStatusCode.OK, fw.StatusCode);
        Assert.Equal("application/json", fw.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1.2.3", (await fw.ReadJsonAsync()).GetProperty("v").GetString());
    }

    [Fact]
    public async Task A_missing_key_reads_as_204_from_any_sidecar_of_the_hosting_app()
    {
        var store = new InMemoryStateStore("actorstore", TimeProvider.System);
        await using var runtime = new ActorTestRuntime();
        await HostAsync(runtime, store);
        var other = await runtime.AddSidecarAsync("devices", "devices-1", ActorTestRuntime.HostConfig("Device"), store, Ct);
        await store.SetAsync(new StateSet("devices||Device||a||fw", "\"9\""u8.ToArray()), Ct);

        using var missing = await other.Client.GetAsync("v1.0/actors/Device/a/state/nothing", Ct);
        using var present = await other.Client.GetAsync("v1.0/actors/Device/a/state/fw", Ct);

        Assert.Equal(HttpStatusCode.NoContent, missing.StatusCode);
        Assert.Equal("\"9\"", await present.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_value_saved_with_ttlInSeconds_expires()
    {
        var clock = new ManualClock();
        var store = new InMemoryStateStore("actorstore", clock);
        await using var runtime = new ActorTestRuntime(clock);
        var host = await HostAsync(runtime, store);

        (await host.Client.PostJsonAsync("v1.0/actors/Device/a/state",
            """[{"operation":"upsert","request":{"key":"k","value":1,"metadata":{"ttlInSeconds":"60"}}}]""")).Dispose();
        clock.Advance(TimeSpan.FromSeconds(61));

        using var expired = await host.Client.GetAsync("v1.0/actors/Device/a/state/k", Ct);
        Assert.Equal(HttpStatusCode.NoContent, expired.StatusCode);
    }

    [Fact]
    public async Task A_transaction_for_an_actor_not_active_in_this_sidecar_is_400_ERR_ACTOR_INSTANCE_MISSING()
    {
        var store = new InMemoryStateStore("actorstore", TimeProvider.System);
        await using var runtime = new ActorTestRuntime();
        var host = await HostAsync(runtime, store);

        using var response = await host.Client.PostJsonAsync("v1.0/actors/Device/never-called/state",
            """[{"operation":"upsert","request":{"key":"k","value":1}}]""");

        Assert.Equal("actor instance is missing", await ActorTestHttp.ErrorAsync(response, 400, "ERR_ACTOR_INSTANCE_MISSING"));
        Assert.Null(await store.GetAsync("devices||Device||never-called||k", Ct));
    }

    [Theory]
    [InlineData("[{\"operation\":", 400, "ERR_MALFORMED_REQUEST", "failed deserializing HTTP body")]
    [InlineData("""{"operations":[]}""", 400, "ERR_MALFORMED_REQUEST", "failed deserializing HTTP body")]
    [InlineData("""[{"operation":"merge","request":{"key":"k"}}]""", 500, "ERR_ACTOR_STATE_TRANSACTION_SAVE", "operation type merge not supported")]
    [InlineData("""[{"operation":"upsert","request":{"value":1}}]""", 500, "ERR_ACTOR_STATE_TRANSACTION_SAVE", "missing key")]
    [InlineData("""[{"operation":"upsert"}]""", 500, "ERR_ACTOR_STATE_TRANSACTION_SAVE", "request data is empty")]
    public async Task A_bad_transaction_gets_daprds_error_and_changes_nothing(string body, int status, string errorCode, string message)
    {
        var store = new InMemoryStateStore("actorstore", TimeProvider.System);
        await using var runtime = new ActorTestRuntime();
        var host = await HostAsync(runtime, store);
        var withGood = body.StartsWith('[') && body.EndsWith(']')
            ? """[{"operation":"upsert","request":{"key":"good","value":1}},""" + body[1..]
            : body;

        using var response = await host.Client.PostJsonAsync("v1.0/actors/Device/a/state", withGood);

        Assert.Contains(message, await ActorTestHttp.ErrorAsync(response, status, errorCode));
        Assert.Null(await store.GetAsync("devices||Device||a||good", Ct));
    }

    [Fact]
    public async Task An_etag_mismatch_inside_a_transaction_is_a_500()
    {
        var store = new InMemoryStateStore("actorstore", TimeProvider.System);
        await using var runtime = new ActorTestRuntime();
        var host = await HostAsync(runtime, store);

        using var response = await host.Client.PostJsonAsync("v1.0/actors/Device/a/state",
            """[{"operation":"upsert","request":{"key":"k","value":1,"etag":"999"}}]""");

        await ActorTestHttp.ErrorAsync(response, 500, "ERR_ACTOR_STATE_TRANSACTION_SAVE");
    }

    [Fact]
    public async Task Without_an_actor_state_store_the_state_api_answers_ERR_ACTOR_RUNTIME_NOT_FOUND()
    {
        await using var runtime = new ActorTestRuntime();
        var caller = await runtime.AddSidecarAsync("gateway", "gateway-0", null, null, Ct);

        using var response = await caller.Client.GetAsync("v1.0/actors/Device/a/state/k", Ct);

        Assert.Contains("actorStateStore", await ActorTestHttp.ErrorAsync(response, 500, "ERR_ACTOR_RUNTIME_NOT_FOUND"));
    }
}
