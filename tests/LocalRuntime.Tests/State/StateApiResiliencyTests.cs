using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Tests.State;

/// <summary>The component's outbound Resiliency policy around state calls, as daprd applies it.</summary>
public sealed class StateApiResiliencyTests
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
}
