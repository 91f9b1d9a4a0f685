using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Actors;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.State;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Actors;

public sealed class ActorInvocationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static InMemoryStateStore Store() => new("actorstore", TimeProvider.System);

    private static ActorCall Call(string type, string id, string method, string body) =>
        new(type, id, method, Encoding.UTF8.GetBytes(body), "text/plain", [], "", null);

    [Fact]
    public async Task An_actor_id_is_active_in_one_replica_only_whichever_sidecar_the_calls_enter_through()
    {
        await using var runtime = new ActorTestRuntime();
        var store = Store();
        var host0 = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), store, Ct);
        var host1 = await runtime.AddSidecarAsync("devices", "devices-1", ActorTestRuntime.HostConfig("Device"), store, Ct);
        var caller = await runtime.AddSidecarAsync("gateway", "gateway-0", null, null, Ct);
        TestSidecar[] entries = [host0, host1, caller];

        var responses = await Task.WhenAll(Enumerable.Range(0, 96).Select(i =>
            entries[i % 3].Client.PostAsync($"v1.0/actors/Device/d{i % 16}/method/slow", new StringContent("5"), Ct)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Empty(runtime.Ledger.Violations);
        var replicasPerId = host0.App.Calls.Concat(host1.App.Calls)
            .GroupBy(c => c.ActorId)
            .ToDictionary(g => g.Key, g => g.Select(c => c.Replica).Distinct().Count());
        Assert.Equal(16, replicasPerId.Count);
        Assert.All(replicasPerId.Values, replicas => Assert.Equal(1, replicas));
        Assert.NotEmpty(host0.App.Calls);
        Assert.NotEmpty(host1.App.Calls);
        Assert.Empty(caller.App.Calls);
    }

    [Fact]
    public async Task Calls_to_one_actor_run_one_at_a_time_in_the_order_they_arrived()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), Store(), Ct);

        // InvokeAsync queues for the turn before it first yields, so this loop fixes the arrival order.
        var first = runtime.Placement.InvokeAsync(Call("Device", "a", "slow", "200"), Ct);
        var rest = Enumerable.Range(1, 10).Select(i => runtime.Placement.InvokeAsync(Call("Device", "a", "slow", $"{i}"), Ct)).ToList();
        var other = runtime.Placement.InvokeAsync(Call("Device", "b", "slow", "1"), Ct);
        await Task.WhenAll([first, other, .. rest]);

        Assert.Equal(["200", .. Enumerable.Range(1, 10).Select(i => $"{i}")], host.App.CallsTo("Device", "a").Select(c => c.Body));
        Assert.Empty(runtime.Ledger.Violations);
        // A different id is not held up behind the first actor's queue.
        Assert.True(other.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task The_app_receives_a_PUT_with_the_callers_body_headers_and_query_and_its_answer_is_relayed()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), Store(), Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1.0/actors/Device/a/method/SetColor?fast=1")
        {
            Content = new StringContent("""{"color":"red"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Custom", "42");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("devices-0:SetColor:{\"color\":\"red\"}", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("yes", response.Headers.GetValues("X-Echo").Single());
        var call = Assert.Single(host.App.Calls);
        Assert.Equal("PUT", call.Verb);
        Assert.Equal("42", call.Headers["X-Custom"]);
        Assert.StartsWith("application/json", call.Headers["Content-Type"]);
    }

    [Theory]
    [InlineData("fail", "error invoke actor method: error from actor service: (500) boom")]
    [InlineData("empty", "error invoke actor method: error from actor service: (204) ")]
    public async Task An_app_answer_other_than_200_is_a_500_ERR_ACTOR_INVOKE_METHOD(string method, string message)
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), Store(), Ct);

        using var response = await host.Client.PostAsync($"v1.0/actors/Device/a/method/{method}", null, Ct);

        Assert.Equal(message, await ActorTestHttp.ErrorAsync(response, 500, "ERR_ACTOR_INVOKE_METHOD"));
    }

    [Fact]
    public async Task An_actor_error_marked_with_the_error_header_is_relayed_as_the_app_sent_it()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), Store(), Ct);

        using var response = await host.Client.PostAsync("v1.0/actors/Device/a/method/apperror", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("X-Daprerrorresponseheader"));
        Assert.Equal("actor exception", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_type_no_sidecar_hosts_answers_404_ERR_ACTOR_NO_ADDRESS_after_the_lookup_wait()
    {
        await using var runtime = new ActorTestRuntime(addressLookupTimeout: TimeSpan.FromMilliseconds(200));
        var caller = await runtime.AddSidecarAsync("gateway", "gateway-0", null, null, Ct);

        using var response = await caller.Client.PostAsync("v1.0/actors/Nobody/a/method/Hello", null, Ct);

        Assert.Contains("did not find address for actor Nobody/a", await ActorTestHttp.ErrorAsync(response, 404, "ERR_ACTOR_NO_ADDRESS"));
    }

    [Fact]
    public async Task A_call_made_before_the_hosting_sidecar_registers_waits_for_it()
    {
        await using var runtime = new ActorTestRuntime();
        var caller = await runtime.AddSidecarAsync("gateway", "gateway-0", null, null, Ct);

        var pending = caller.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct);
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), Store(), Ct);
        using var response = await pending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(host.App.Calls);
    }

    [Fact]
    public async Task An_app_without_an_actor_state_store_hosts_no_actors()
    {
        await using var runtime = new ActorTestRuntime(addressLookupTimeout: TimeSpan.FromMilliseconds(100));
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), null, Ct);

        using var response = await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct);

        await ActorTestHttp.ErrorAsync(response, 404, "ERR_ACTOR_NO_ADDRESS");
        Assert.Empty(host.App.Calls);
    }

    [Fact]
    public async Task A_new_replica_takes_over_some_actors_which_are_first_deactivated_at_the_old_one()
    {
        await using var runtime = new ActorTestRuntime();
        var store = Store();
        var host0 = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), store, Ct);
        var ids = Enumerable.Range(0, 16).Select(i => $"d{i}").ToList();
        foreach (var id in ids) (await host0.Client.PostAsync($"v1.0/actors/Device/{id}/method/Hello", null, Ct)).Dispose();

        var host1 = await runtime.AddSidecarAsync("devices", "devices-1", ActorTestRuntime.HostConfig("Device"), store, Ct);
        foreach (var id in ids) (await host0.Client.PostAsync($"v1.0/actors/Device/{id}/method/Hello", null, Ct)).Dispose();

        var moved = host1.App.Calls.Select(c => c.ActorId).ToHashSet();
        var deactivated = host0.App.Calls.Where(c => c.Verb == "DELETE").Select(c => c.ActorId).ToHashSet();
        Assert.NotEmpty(moved);
        Assert.Equal(moved, deactivated);
        Assert.Empty(runtime.Ledger.Violations);

        await host1.DisposeAsync();
        Assert.Equal(moved, host1.App.Calls.Where(c => c.Verb == "DELETE").Select(c => c.ActorId).ToHashSet());
        using var back = await host0.Client.PostAsync($"v1.0/actors/Device/{moved.First()}/method/Hello", null, Ct);
        Assert.StartsWith("devices-0:", await back.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Actors_that_move_while_busy_finish_their_turn_before_the_new_replica_activates_them()
    {
        await using var runtime = new ActorTestRuntime();
        var store = Store();
        var host0 = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), store, Ct);
        var ids = Enumerable.Range(0, 16).Select(i => $"d{i}").ToList();
        var busy = ids.Select(id => host0.Client.PostAsync($"v1.0/actors/Device/{id}/method/slow", new StringContent("300"), Ct)).ToList();
        await Poll.UntilAsync(() => host0.App.Calls.Count == ids.Count, "every actor is busy");

        var joining = runtime.AddSidecarAsync("devices", "devices-1", ActorTestRuntime.HostConfig("Device"), store, Ct);
        var next = ids.Select(id => host0.Client.PostAsync($"v1.0/actors/Device/{id}/method/Hello", null, Ct)).ToList();
        var host1 = await joining;
        var responses = await Task.WhenAll([.. busy, .. next]);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Empty(runtime.Ledger.Violations);
        var moved = host1.App.Calls.Select(c => c.ActorId).ToHashSet();
        Assert.NotEmpty(moved);
        // Every actor the new replica activated was deactivated at the old one first (the ledger holds the order). The
        // old one may have deactivated more: an actor whose next call was already queued behind its busy turn there
        // takes that call on the old replica, and moves with no call left for the new one.
        Assert.Subset(host0.App.Calls.Where(c => c.Verb == "DELETE").Select(c => c.ActorId).ToHashSet(), moved);
    }

    [Fact]
    public async Task Metadata_lists_the_active_actors_per_hosted_type()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device,Gateway"), Store(), Ct);
        foreach (var id in new[] { "a", "b" }) (await host.Client.PostAsync($"v1.0/actors/Device/{id}/method/Hello", null, Ct)).Dispose();

        var metadata = new JsonObject();
        host.Feature.DescribeMetadata(metadata);

        var actors = metadata["actors"]!.AsArray().ToDictionary(a => (string)a!["type"]!, a => (int)a!["count"]!);
        Assert.Equal(new Dictionary<string, int> { ["Device"] = 2, ["Gateway"] = 0 }, actors);
        Assert.True((bool)metadata["actorRuntime"]!["hostReady"]!);
    }

    private static ResiliencySpec ActorPolicies(string actorType, TargetPolicies policies) => ResiliencySpec.Empty with
    {
        Actors = new Dictionary<string, TargetPolicies> { [actorType] = policies },
    };

    [Fact]
    public async Task The_callers_actor_retry_policy_repeats_a_failed_call()
    {
        await using var runtime = new ActorTestRuntime();
        await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), Store(), Ct);
        var caller = await runtime.AddSidecarAsync("gateway", "gateway-0", null, null, Ct,
            ActorPolicies("Device", new TargetPolicies(new RetryPolicy("retry", RetryBackoff.Constant, TimeSpan.FromMilliseconds(10), TimeSpan.Zero, 2), null)));

        using var response = await caller.Client.PostAsync("v1.0/actors/Device/a/method/flaky", null, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("devices-0:flaky:3", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Without_a_retry_policy_a_failed_call_is_not_repeated()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), Store(), Ct);

        using var response = await host.Client.PostAsync("v1.0/actors/Device/a/method/flaky", null, Ct);

        Assert.Contains("(503) not yet", await ActorTestHttp.ErrorAsync(response, 500, "ERR_ACTOR_INVOKE_METHOD"));
        Assert.Single(host.App.Calls);
    }

    [Fact]
    public async Task The_callers_actor_timeout_policy_ends_a_slow_call_and_frees_the_turn()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), Store(), Ct,
            ActorPolicies("Device", new TargetPolicies(null, TimeSpan.FromMilliseconds(500))));

        using var slow = await host.Client.PostAsync("v1.0/actors/Device/a/method/slow", new StringContent("2500"), Ct);
        using var next = await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct);

        Assert.Equal("error invoke actor method: context deadline exceeded", await ActorTestHttp.ErrorAsync(slow, 500, "ERR_ACTOR_INVOKE_METHOD"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }
}
