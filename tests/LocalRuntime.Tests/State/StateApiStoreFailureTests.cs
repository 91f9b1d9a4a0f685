using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Tests.State;

/// <summary>
/// How the state API answers when the store itself fails, and the component's outbound Resiliency policy that
/// daprd applies around state calls. The store fails on demand, as a dropped Redis connection would.
/// </summary>
public sealed class StateApiStoreFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpClient Client, IAsyncDisposable App)> StartAsync(FlakyStateStore store, TargetPolicies policies)
    {
        var component = new ComponentSpec(store.Name, "state.in-memory", "v1", new Dictionary<string, string>(), [], false, "flaky.yaml");
        var resiliency = ResiliencySpec.Empty with
        {
            ComponentOutbound = new Dictionary<string, TargetPolicies> { [store.Name] = policies },
        };
        var sidecar = StateApiHost.Sidecar($"app-{Guid.NewGuid():N}", [component], new Dictionary<string, IStateStore> { [store.Name] = store }, resiliency);
        var (app, client) = await StateApiHost.StartAsync(sidecar, _ => { }, Ct);
        return (client, app);
    }

    private static RetryPolicy Retries(int count) => new("retry", RetryBackoff.Constant, TimeSpan.FromMilliseconds(10), TimeSpan.Zero, count);

    [Fact]
    public async Task Store_failures_are_retried_as_the_components_retry_policy_allows()
    {
        var store = new FlakyStateStore("flaky");
        var (client, app) = await StartAsync(store, new TargetPolicies(Retries(2), null));
        await using (app)
        using (client)
        {
            store.FailNext(2);
            var saved = await client.PostAsync("/v1.0/state/flaky", new StringContent("""[{"key":"k","value":1}]""", Encoding.UTF8, "application/json"), Ct);

            store.FailNext(3);
            var failed = await client.GetAsync("/v1.0/state/flaky/k", Ct);

            Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Contains("ERR_STATE_GET", await failed.Content.ReadAsStringAsync(Ct));
            Assert.Equal(6, store.Calls);
        }
    }

    [Fact]
    public async Task An_etag_conflict_is_answered_at_once_and_never_retried()
    {
        var store = new FlakyStateStore("flaky");
        var (client, app) = await StartAsync(store, new TargetPolicies(Retries(5), null));
        await using (app)
        using (client)
        {
            var conflict = await client.PostAsync("/v1.0/state/flaky", new StringContent("""[{"key":"k","value":1,"etag":"3"}]""", Encoding.UTF8, "application/json"), Ct);

            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            Assert.Equal(1, store.Calls);
        }
    }

    [Fact]
    public async Task A_store_that_does_not_answer_within_the_timeout_fails_with_500()
    {
        var store = new FlakyStateStore("flaky") { Hang = true };
        var (client, app) = await StartAsync(store, new TargetPolicies(null, TimeSpan.FromMilliseconds(100)));
        await using (app)
        using (client)
        {
            var response = await client.GetAsync("/v1.0/state/flaky/k", Ct);

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Contains("did not answer within", await response.Content.ReadAsStringAsync(Ct));
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Bulk_get_reports_a_failed_key_in_its_own_item_and_still_returns_the_others()
    {
        var store = new FlakyStateStore("flaky");
        var (client, app) = await StartAsync(store, new TargetPolicies(null, null));
        await using (app)
        using (client)
        {
            await client.PostAsync("/v1.0/state/flaky", Json("""[{"key":"a","value":1},{"key":"b","value":2}]"""), Ct);

            store.FailNext(1);
            var response = await client.PostAsync("/v1.0/state/flaky/bulk", Json("""{"keys":["a","b"],"parallelism":1}"""), Ct);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var items = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsArray();
            Assert.Equal(["key", "error"], items[0]!.AsObject().Select(p => p.Key));
            Assert.Equal("connection reset by peer", (string?)items[0]!["error"]);
            Assert.Equal(2, (int?)items[1]!["data"]);
        }
    }

    [Fact]
    public async Task A_failing_store_answers_500_with_the_operations_error_code()
    {
        var store = new FlakyStateStore("flaky");
        var (client, app) = await StartAsync(store, new TargetPolicies(null, null));
        await using (app)
        using (client)
        {
            store.FailNext(1);
            var save = await client.PostAsync("/v1.0/state/flaky", Json("""[{"key":"a","value":1}]"""), Ct);
            store.FailNext(1);
            var delete = await client.DeleteAsync("/v1.0/state/flaky/a", Ct);
            store.FailNext(1);
            var transaction = await client.PostAsync("/v1.0/state/flaky/transaction",
                Json("""{"operations":[{"operation":"delete","request":{"key":"a"}}]}"""), Ct);

            Assert.Equal(HttpStatusCode.InternalServerError, save.StatusCode);
            Assert.Contains("\"ERR_STATE_SAVE\"", await save.Content.ReadAsStringAsync(Ct));
            Assert.Equal(HttpStatusCode.InternalServerError, delete.StatusCode);
            Assert.Contains("\"ERR_STATE_DELETE\"", await delete.Content.ReadAsStringAsync(Ct));
            Assert.Equal(HttpStatusCode.InternalServerError, transaction.StatusCode);
            Assert.Contains("\"ERR_STATE_TRANSACTION\"", await transaction.Content.ReadAsStringAsync(Ct));
        }
    }
}
