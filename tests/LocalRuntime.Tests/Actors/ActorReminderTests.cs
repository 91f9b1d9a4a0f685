using System.Net;
using System.Text;
using System.Text.Json;
using DaprIoT.LocalRuntime.Actors;
using DaprIoT.LocalRuntime.State;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Actors;

public sealed class ActorReminderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Where the reminders of actor <c>c1</c> of the <c>cookers</c> app are kept.</summary>
    private static readonly string C1Key = StoredReminder.StoreKey("cookers", "Cooker", StoredReminder.PartitionOf("c1"));

    private static async Task<JsonElement[]> StoredAsync(IStateStore store, string type)
    {
        var item = await store.GetAsync(StoredReminder.StoreKey("cookers", type, StoredReminder.PartitionOf("c1")), Ct);
        return item is null ? [] : [.. JsonDocument.Parse(item.Value).RootElement.EnumerateArray()];
    }

    private static int Fired(TestSidecar host, string name) => host.App.Calls.Count(c => c.Method == $"remind/{name}");

    [Fact]
    public async Task A_reminder_survives_a_restart_of_the_runtime_and_fires_once_then_is_deleted()
    {
        var clock = new ManualClock();
        var store = new InMemoryStateStore("actorstore", clock);
        await using (var before = new ActorTestRuntime(clock))
        {
            var host = await before.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);
            using var created = await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/stop",
                """{"dueTime":"10s","data":{"heater":"off"}}""");
            Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);
            clock.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal(0, Fired(host, "stop"));
        }
        Assert.Single(await StoredAsync(store, "Cooker"));

        await using var after = new ActorTestRuntime(clock);
        var restarted = await after.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);
        using var listed = await restarted.Client.GetAsync("v1.0/actors/Cooker/c1/reminders/stop", Ct);
        var reminder = await listed.ReadJsonAsync();
        Assert.Equal("c1", reminder.GetProperty("actorID").GetString());
        Assert.Equal("10s", reminder.GetProperty("dueTime").GetString());
        Assert.Equal("off", reminder.GetProperty("data").GetProperty("heater").GetString());

        clock.Advance(TimeSpan.FromSeconds(5));

        await Poll.UntilAsync(() => Fired(restarted, "stop") == 1, "the reminder fires after the restart");
        var call = restarted.App.Calls.Single(c => c.Method == "remind/stop");
        Assert.Equal("PUT", call.Verb);
        Assert.Equal("""{"data":{"heater":"off"},"dueTime":"","period":""}""", call.Body);
        await Poll.UntilAsync(() => store.GetAsync(C1Key, Ct).Result is null, "the one-shot reminder is deleted");
        using var gone = await restarted.Client.GetAsync("v1.0/actors/Cooker/c1/reminders/stop", Ct);
        Assert.Equal("actor reminder not found: stop", await ActorTestHttp.ErrorAsync(gone, 404, "ERR_ACTOR_REMINDER_NOT_FOUND"));
    }

    [Fact]
    public async Task Reminders_are_kept_per_partition_of_actor_ids_so_a_change_rewrites_only_its_partition()
    {
        var store = new InMemoryStateStore("actorstore", TimeProvider.System);
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);
        var ids = Enumerable.Range(0, 20).Select(i => $"c{i}").ToList();
        foreach (var id in ids) (await host.Client.PostJsonAsync($"v1.0/actors/Cooker/{id}/reminders/r", """{"dueTime":"1h"}""")).Dispose();

        foreach (var group in ids.GroupBy(StoredReminder.PartitionOf))
        {
            var item = await store.GetAsync(StoredReminder.StoreKey("cookers", "Cooker", group.Key), Ct);
            var stored = JsonDocument.Parse(item!.Value).RootElement.EnumerateArray().Select(e => e.GetProperty("actorID").GetString());
            Assert.Equal(group.Order(), stored.Order());
        }
        Assert.True(ids.Select(StoredReminder.PartitionOf).Distinct().Count() > 1);
    }

    [Fact]
    public async Task A_periodic_reminder_keeps_firing_and_its_progress_is_persisted()
    {
        var clock = new ManualClock();
        var start = clock.GetUtcNow();
        var store = new InMemoryStateStore("actorstore", clock);
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);
        (await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/check", """{"dueTime":"1s","period":"5s"}""")).Dispose();

        for (var fired = 1; fired <= 4; fired++)
        {
            clock.Advance(fired == 1 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5));
            var expected = fired;
            await Poll.UntilAsync(() => Fired(host, "check") == expected, $"the reminder fired {expected} times");
            await WaitForNextDueAsync(store, "Cooker", start.AddSeconds(1 + 5 * fired));
        }

        Assert.Single(await StoredAsync(store, "Cooker"));
        Assert.Single(host.App.Calls.Select(c => c.ActorId).Distinct());
    }

    [Fact]
    public async Task A_reminder_with_repetitions_fires_that_many_times_and_is_then_deleted()
    {
        var clock = new ManualClock();
        var start = clock.GetUtcNow();
        var store = new InMemoryStateStore("actorstore", clock);
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);
        (await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/twice", """{"period":"R2/PT3S"}""")).Dispose();

        clock.Advance(TimeSpan.Zero);
        await Poll.UntilAsync(() => Fired(host, "twice") == 1, "the first firing");
        await WaitForNextDueAsync(store, "Cooker", start.AddSeconds(3));
        clock.Advance(TimeSpan.FromSeconds(3));

        await Poll.UntilAsync(() => Fired(host, "twice") == 2, "the second firing");
        await Poll.UntilAsync(() => store.GetAsync(C1Key, Ct).Result is null, "the finished reminder is deleted");
    }

    [Fact]
    public async Task A_reminder_due_further_ahead_than_a_timer_can_wait_fires_when_due_and_keeps_its_period()
    {
        var clock = new ManualClock();
        var start = clock.GetUtcNow();
        var store = new InMemoryStateStore("actorstore", clock);
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);

        using var created = await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/descale",
            """{"dueTime":"2000h","period":"PT1500H"}""");

        Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);
        clock.Advance(TimeSpan.FromHours(1999));
        Assert.Equal(0, Fired(host, "descale"));
        clock.Advance(TimeSpan.FromHours(1));
        await Poll.UntilAsync(() => Fired(host, "descale") == 1, "the reminder fires 2000 hours on");
        await WaitForNextDueAsync(store, "Cooker", start.AddHours(3500));
        clock.Advance(TimeSpan.FromHours(1499));
        Assert.Equal(1, Fired(host, "descale"));
        clock.Advance(TimeSpan.FromHours(1));
        await Poll.UntilAsync(() => Fired(host, "descale") == 2, "the reminder fires again a period later");
    }

    [Fact]
    public async Task Deleting_a_reminder_stops_it()
    {
        var clock = new ManualClock();
        var start = clock.GetUtcNow();
        var store = new InMemoryStateStore("actorstore", clock);
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);
        (await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/check", """{"dueTime":"1s","period":"1s"}""")).Dispose();
        clock.Advance(TimeSpan.FromSeconds(1));
        await Poll.UntilAsync(() => Fired(host, "check") == 1, "the first firing");
        await WaitForNextDueAsync(store, "Cooker", start.AddSeconds(2));

        using var deleted = await host.Client.DeleteAsync("v1.0/actors/Cooker/c1/reminders/check", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(await store.GetAsync(C1Key, Ct));

        // A later reminder of the same actor: had "check" still been armed, its firing would have taken the turn first.
        (await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/probe", """{"dueTime":"3s"}""")).Dispose();
        clock.Advance(TimeSpan.FromSeconds(5));
        await Poll.UntilAsync(() => Fired(host, "probe") == 1, "the probe fires");
        Assert.Equal(1, Fired(host, "check"));
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_three_times_a_second_apart()
    {
        var clock = new ManualClock();
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), new InMemoryStateStore("s", clock), Ct);
        // The test app answers 500 to the method "fail", so a reminder named "fail" always fails.
        (await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/fail", """{"dueTime":"0s"}""")).Dispose();
        await Poll.UntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(250));
            return host.App.Calls.Count(c => c.Method == "remind/fail") == 4;
        }, () => $"one delivery and three retries (saw {host.App.Calls.Count(c => c.Method == "remind/fail")})");

        clock.Advance(TimeSpan.FromSeconds(10));
        (await host.Client.PostAsync("v1.0/actors/Cooker/c1/method/After", null, Ct)).Dispose();
        Assert.Equal(4, host.App.Calls.Count(c => c.Method == "remind/fail"));
    }

    [Fact]
    public async Task Reminders_go_through_a_sidecar_whose_app_hosts_the_type()
    {
        await using var runtime = new ActorTestRuntime();
        await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), new InMemoryStateStore("s", TimeProvider.System), Ct);
        var caller = await runtime.AddSidecarAsync("gateway", "gateway-0", null, null, Ct);

        using var response = await caller.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/r", """{"dueTime":"1m"}""");

        await ActorTestHttp.ErrorAsync(response, 403, "ERR_ACTOR_REMINDER_NON_HOSTED");
    }

    [Theory]
    [InlineData("{not json", 400, "ERR_MALFORMED_REQUEST")]
    [InlineData("", 400, "ERR_MALFORMED_REQUEST")]
    [InlineData("""{"dueTime":5}""", 400, "ERR_MALFORMED_REQUEST")]
    [InlineData("""{"dueTime":"five seconds"}""", 500, "ERR_ACTOR_REMINDER_CREATE")]
    [InlineData("""{"period":"P1D"}""", 500, "ERR_ACTOR_REMINDER_CREATE")]
    [InlineData("""{"period":"R0/PT1S"}""", 500, "ERR_ACTOR_REMINDER_CREATE")]
    [InlineData("""{"dueTime":"1s","ttl":"2020-01-01T00:00:00Z"}""", 500, "ERR_ACTOR_REMINDER_CREATE")]
    [InlineData("""{"dueTime":"P9000Y"}""", 500, "ERR_ACTOR_REMINDER_CREATE")]
    [InlineData("""{"dueTime":"3000000h"}""", 500, "ERR_ACTOR_REMINDER_CREATE")]
    [InlineData("""{"dueTime":"9999-12-31T23:00:00Z","ttl":"PT2H"}""", 500, "ERR_ACTOR_REMINDER_CREATE")]
    public async Task A_bad_reminder_request_gets_daprds_error(string body, int status, string errorCode)
    {
        var store = new InMemoryStateStore("s", TimeProvider.System);
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);

        using var response = await host.Client.PostAsync("v1.0/actors/Cooker/c1/reminders/r",
            new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        await ActorTestHttp.ErrorAsync(response, status, errorCode);
        Assert.Null(await store.GetAsync(C1Key, Ct));
    }

    [Fact]
    public async Task Invalid_utf8_in_a_reminder_body_becomes_U_FFFD_as_in_daprd()
    {
        var store = new InMemoryStateStore("s", TimeProvider.System);
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), store, Ct);
        var body = "{\"dueTime\":\"1h\",\"data\":{\"note\":\"x"u8.ToArray().Concat(new byte[] { 0xC3 }).Concat("\"}}"u8.ToArray()).ToArray();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var created = await host.Client.PostAsync("v1.0/actors/Cooker/c1/reminders/r", content, Ct);

        Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);
        using var listed = await host.Client.GetAsync("v1.0/actors/Cooker/c1/reminders/r", Ct);
        Assert.Equal("x\uFFFD", (await listed.ReadJsonAsync()).GetProperty("data").GetProperty("note").GetString());
    }

    [Fact]
    public async Task A_reminder_registered_with_overwrite_false_does_not_replace_an_existing_one()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("cookers", "cookers-0", ActorTestRuntime.HostConfig("Cooker"), new InMemoryStateStore("s", TimeProvider.System), Ct);
        (await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/r", """{"dueTime":"1h"}""")).Dispose();

        using var again = await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/r", """{"dueTime":"2h","overwrite":false}""");

        await ActorTestHttp.ErrorAsync(again, 409, "ERR_ACTOR_REMINDER_ALREADY_EXISTS");
        using var current = await host.Client.GetAsync("v1.0/actors/Cooker/c1/reminders/r", Ct);
        Assert.Equal("1h", (await current.ReadJsonAsync()).GetProperty("dueTime").GetString());
    }

    private static async Task WaitForNextDueAsync(IStateStore store, string type, DateTimeOffset due)
    {
        var expected = due.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        string? stored = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            stored = (await StoredAsync(store, type)).FirstOrDefault() is { ValueKind: JsonValueKind.Object } entry
                ? entry.GetProperty("registeredTime").GetString()
                : null;
            if (stored == expected) return;
            await Task.Delay(20, Ct);
        }
        Assert.Fail($"the reminder was not re-armed for {expected} (stored: {stored})");
    }
}
