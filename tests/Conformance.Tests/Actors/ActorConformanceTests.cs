using System.Net;
using System.Text.Json;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.Actors;

/// <summary>
/// Virtual-actor guarantees through the real dapr-local process: one activation per id across replicas, and
/// turn-based concurrency kept by the sidecars alone (the Probe app has no turn lock of its own here).
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

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, $"Count answered {(int)a.Status}: {a.Body}"));
        Assert.Equal(Enumerable.Range(1, calls), answers.Select(a => int.Parse(a.Body, System.Globalization.CultureInfo.InvariantCulture)).Order());
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

        var answers = await Task.WhenAll(Enumerable.Range(0, calls).Select(i =>
            run.Actors.CallAsync(run.SidecarUrls[i % run.SidecarUrls.Count], actorId, "Enter", new { delayMs = 40, label = $"call-{i}" }, ct)));

        // Probe.Enter fails with "Concurrent entry" (500) when another call is already inside the same id.
        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, $"Enter answered {(int)a.Status}: {a.Body}"));
        var order = await run.Actors.CallOkAsync(run.SidecarUrls[0], actorId, "GetCallOrder", null, ct);
        Assert.Equal(calls, order.GetArrayLength());
    }

    [Fact]
    public async Task Timers_and_reminders_call_back_into_their_active_actor()
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await fixture.RunAsync();
        var actorId = $"callbacks-{Guid.NewGuid():N}";
        var host = run.SidecarUrls[1];

        await run.Actors.CallOkAsync(run.SidecarUrls[0], actorId, "ScheduleTimer", new { name = "tick", dueTimeMs = 200 }, ct);
        await run.Actors.CallOkAsync(run.SidecarUrls[0], actorId, "ScheduleReminder", new { name = "wake", dueTimeMs = 200 }, ct);

        // Callbacks take turns like calls: each appends to the actor's state, read back through an actor method.
        await Eventually.UntilAsync(
            async token => (Timers: await run.Actors.CallOkAsync(host, actorId, "GetTimerFirings", null, token),
                Reminders: await run.Actors.CallOkAsync(host, actorId, "GetReminderFirings", null, token)),
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
        for (var i = 0; i < 3; i++) await run.Actors.CallOkAsync(run.SidecarUrls[0], actorId, "Count", null, ct);
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
        Assert.Equal(4, (await run.Actors.CallOkAsync(run.SidecarUrls[0], actorId, "Count", null, ct)).GetInt32());
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
        await run.Actors.CallOkAsync(caller, actorId, "Enter", new { delayMs = 0, label = "activate" }, ct);

        // One call holds the turn; the others arrive one after another, well apart, while it is held.
        var holder = run.Actors.CallAsync(caller, actorId, "Enter", new { delayMs = 2500, label = "holder" }, ct);
        var waiters = new List<Task<ProbeActorClient.Answer>>();
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(250, ct);
            waiters.Add(run.Actors.CallAsync(caller, actorId, "Enter", new { delayMs = 10, label = $"waiter-{i}" }, ct));
        }
        var answers = await Task.WhenAll([holder, .. waiters]);

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, $"Enter answered {(int)a.Status}: {a.Body}"));
        var order = (await run.Actors.CallOkAsync(caller, actorId, "GetCallOrder", null, ct)).EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(["activate", "holder", "waiter-0", "waiter-1", "waiter-2", "waiter-3"], order);
    }
}
