using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapr.Actors;
using Dapr.Actors.Client;
using DaprIoT.Conformance.Tests.Harness;
using DaprIoT.ConformanceApp;
using Xunit;

namespace DaprIoT.Conformance.Tests.Actors;

/// <summary>
/// Virtual-actor guarantees through the real dapr-local process: one activation per id across replicas, and
/// turn-based concurrency kept by the sidecars alone (the SDK's actor host has no turn lock of its own).
/// </summary>
public sealed class ActorConformanceTests(ActorRunFixture fixture) : IClassFixture<ActorRunFixture>
{
    [Fact]
    public async Task Concurrent_calls_from_every_sidecar_activate_an_actor_id_once_across_both_host_replicas()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await fixture.RunAsync();
        var actorId = $"single-{Guid.NewGuid():N}";
        const int calls = 24;

        // Count reads, increments and saves the actor's state in one turn: overlapping turns would lose updates.
        var answers = await Task.WhenAll(Enumerable.Range(0, calls)
            .Select(i => run.Actors.CallAsync(run.SidecarUrls[i % run.SidecarUrls.Count], actorId, "Count", null, ct)));

        Assert.Equal(Enumerable.Range(1, calls), answers.Select(a => a.GetInt32()).Order());
        var activations = await Task.WhenAll(run.Hosts.Select(h => h.ActivationsAsync(ct)));
        var perReplica = activations.Select(a => a.GetValueOrDefault(actorId)).ToList();
        Assert.True(perReplica.Sum() == 1, $"{actorId} must be activated exactly once in total; activations per replica: {string.Join(", ", perReplica)}");
    }

    [Fact]
    public async Task Concurrent_calls_to_one_actor_id_never_overlap_inside_the_app()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await fixture.RunAsync();
        var actorId = $"turns-{Guid.NewGuid():N}";
        const int calls = 16;

        // Probe.Enter fails with "Concurrent entry" (500, so the proxy throws) when another call is already inside the same id.
        await Task.WhenAll(Enumerable.Range(0, calls).Select(i =>
            run.Actors.CallAsync(run.SidecarUrls[i % run.SidecarUrls.Count], actorId, "Enter", new { delayMs = 40, label = $"call-{i}" }, ct)));

        var order = await run.Actors.CallAsync(run.SidecarUrls[0], actorId, "GetCallOrder", null, ct);
        Assert.Equal(calls, order.GetArrayLength());
    }

    [Fact]
    public async Task Timers_and_reminders_call_back_into_their_active_actor()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await fixture.RunAsync();
        var actorId = $"callbacks-{Guid.NewGuid():N}";
        var host = run.SidecarUrls[1];

        await run.Actors.InvokeAsync(run.SidecarUrls[0], actorId, "ScheduleTimer", new { name = "tick", dueTimeMs = 200 }, ct);
        await run.Actors.InvokeAsync(run.SidecarUrls[0], actorId, "ScheduleReminder", new { name = "wake", dueTimeMs = 200 }, ct);

        // Callbacks take turns like calls: each appends to the actor's state, read back through an actor method.
        await Eventually.UntilAsync(
            async token => (Timers: await run.Actors.CallAsync(host, actorId, "GetTimerFirings", null, token),
                Reminders: await run.Actors.CallAsync(host, actorId, "GetReminderFirings", null, token)),
            seen => seen.Timers.GetArrayLength() == 1 && seen.Reminders.GetArrayLength() == 1,
            "the timer and the reminder fired once each", seen => $"timers {seen.Timers}, reminders {seen.Reminders}",
            TimeSpan.FromSeconds(15), ct);
    }

    [Fact]
    public async Task Actor_state_is_readable_through_every_sidecar_of_the_hosting_app_but_written_only_where_the_actor_is_active()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await fixture.RunAsync();
        var actorId = $"state-{Guid.NewGuid():N}";
        for (var i = 0; i < 3; i++) await run.Actors.CallAsync(run.SidecarUrls[0], actorId, "Count", null, ct);
        var active = (await Task.WhenAll(run.Hosts.Select(h => h.ActivationsAsync(ct)))).Select(a => a.ContainsKey(actorId)).ToList();
        Assert.True(active.Count(a => a) == 1, $"{actorId} is active on exactly one replica: {string.Join(", ", active)}");
        var idle = run.SidecarUrls[1 + active.IndexOf(false)];

        foreach (var replica in Enumerable.Range(0, run.Hosts.Count))
        {
            using var read = await run.Dapr.Client.GetAsync($"{run.SidecarUrls[1 + replica]}/v1.0/actors/Probe/{actorId}/state/counter", ct);
            Assert.Equal((HttpStatusCode.OK, "3"), (read.StatusCode, await read.Content.ReadAsStringAsync(ct)));
        }
        using var write = await run.Dapr.Client.PostAsync($"{idle}/v1.0/actors/Probe/{actorId}/state",
            new StringContent("""[{"operation":"upsert","request":{"key":"counter","value":100}}]""", System.Text.Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.BadRequest, write.StatusCode);
        Assert.Equal("ERR_ACTOR_INSTANCE_MISSING", JsonDocument.Parse(await write.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("errorCode").GetString());
        Assert.Equal(4, (await run.Actors.CallAsync(run.SidecarUrls[0], actorId, "Count", null, ct)).GetInt32());
    }

    [Fact]
    public async Task Reminders_are_managed_only_through_a_sidecar_whose_app_hosts_the_actor_type()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await fixture.RunAsync();
        var actorId = $"remote-{Guid.NewGuid():N}";
        var reminder = new StringContent("""{"dueTime":"1h"}""", System.Text.Encoding.UTF8, "application/json");

        using var fromCaller = await run.Dapr.Client.PostAsync($"{run.SidecarUrls[0]}/v1.0/actors/Probe/{actorId}/reminders/later", reminder, ct);
        Assert.Equal(HttpStatusCode.Forbidden, fromCaller.StatusCode);
        Assert.Equal("ERR_ACTOR_REMINDER_NON_HOSTED", JsonDocument.Parse(await fromCaller.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("errorCode").GetString());

        using var fromHost = await run.Dapr.Client.PostAsync($"{run.SidecarUrls[1]}/v1.0/actors/Probe/{actorId}/reminders/later", reminder, ct);
        Assert.Equal(HttpStatusCode.NoContent, fromHost.StatusCode);
        using var seen = await run.Dapr.Client.GetAsync($"{run.SidecarUrls[2]}/v1.0/actors/Probe/{actorId}/reminders/later", ct);
        Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
        using var deleted = await run.Dapr.Client.DeleteAsync($"{run.SidecarUrls[2]}/v1.0/actors/Probe/{actorId}/reminders/later", ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task Calls_waiting_for_a_busy_actor_get_their_turns_in_arrival_order()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await fixture.RunAsync();
        var actorId = $"fifo-{Guid.NewGuid():N}";
        var caller = run.SidecarUrls[0];
        await run.Actors.CallAsync(caller, actorId, "Enter", new { delayMs = 0, label = "activate" }, ct);

        // One call holds the turn; the others arrive one after another, well apart, while it is held.
        var holder = run.Actors.CallAsync(caller, actorId, "Enter", new { delayMs = 2500, label = "holder" }, ct);
        var waiters = new List<Task<JsonElement>>();
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(250, ct);
            waiters.Add(run.Actors.CallAsync(caller, actorId, "Enter", new { delayMs = 10, label = $"waiter-{i}" }, ct));
        }
        await Task.WhenAll([holder, .. waiters]);

        var order = (await run.Actors.CallAsync(caller, actorId, "GetCallOrder", null, ct)).EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(["activate", "holder", "waiter-0", "waiter-1", "waiter-2", "waiter-3"], order);
    }

    /// <summary>
    /// The SDK's default endpoint is <c>http://localhost:{DAPR_HTTP_PORT}/</c> and it appends <c>/v1.0/actors/...</c>,
    /// so every actor call of an unconfigured app goes to <c>//v1.0/actors/...</c>; daprd cleans the path before routing.
    /// </summary>
    [Fact]
    public async Task An_actor_proxy_on_the_sdks_default_endpoint_reaches_the_actor_through_a_double_slash_path()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await fixture.RunAsync();
        var actorId = $"slashes-{Guid.NewGuid():N}";
        var recorder = new PathRecorder();
        var proxies = new ActorProxyFactory(handler: recorder);
        var endpoint = $"http://localhost:{run.Dapr.SidecarPort("caller").ToString(CultureInfo.InvariantCulture)}/";
        var proxy = proxies.Create(new ActorId(actorId), "Probe", new ActorProxyOptions { HttpEndpoint = endpoint });

        Assert.Equal(1, await proxy.InvokeMethodAsync<int>("Count", ct));
        Assert.Equal(2, await proxy.InvokeMethodAsync<int>("Count", ct));

        Assert.Equal([$"PUT //v1.0/actors/Probe/{actorId}/method/Count", $"PUT //v1.0/actors/Probe/{actorId}/method/Count"], recorder.Requests);
    }

    /// <summary>
    /// A strongly typed proxy uses actor remoting: the call is described in an <c>X-DaprRequestHeader</c> header and a
    /// binary body that the sidecar must pass to the app as they are, and the app's answer back the same way.
    /// </summary>
    [Fact]
    public async Task A_strongly_typed_actor_proxy_calls_the_actor_through_remoting()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await fixture.RunAsync();
        var actorId = $"remoting-{Guid.NewGuid():N}";
        var recorder = new PathRecorder();
        var proxies = new ActorProxyFactory(handler: recorder);
        var probe = proxies.CreateActorProxy<IProbeActor>(new ActorId(actorId), "Probe",
            new ActorProxyOptions { HttpEndpoint = $"http://localhost:{run.Dapr.SidecarPort("caller").ToString(CultureInfo.InvariantCulture)}/" });

        Assert.Equal(1, await probe.Count());
        Assert.Equal(2, await probe.Count());
        Assert.Equal(1, await probe.GetActivations());

        Assert.Equal(3, recorder.Requests.Count);
        Assert.All(recorder.RemotingHeaders, Assert.True);
    }

    /// <summary>Records the method and path of every request the proxy sends.</summary>
    private sealed class PathRecorder() : DelegatingHandler(new HttpClientHandler())
    {
        private readonly ConcurrentQueue<string> _requests = new();
        private readonly ConcurrentQueue<bool> _remotingHeaders = new();

        public IReadOnlyList<string> Requests => [.. _requests];

        /// <summary>Per request, whether it carried the remoting header <c>X-DaprRequestHeader</c>.</summary>
        public IReadOnlyList<bool> RemotingHeaders => [.. _remotingHeaders];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _requests.Enqueue($"{request.Method} {request.RequestUri!.AbsolutePath}");
            _remotingHeaders.Enqueue(request.Headers.Contains("X-DaprRequestHeader"));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
