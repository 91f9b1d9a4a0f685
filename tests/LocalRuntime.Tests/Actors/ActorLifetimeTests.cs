using System.Net;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.State;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Actors;

public sealed class ActorLifetimeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int ActiveCount(TestSidecar sidecar, string type)
    {
        var metadata = new JsonObject();
        sidecar.Feature.DescribeMetadata(metadata);
        return metadata["actors"]!.AsArray().Where(a => (string)a!["type"]! == type).Select(a => (int)a!["count"]!).Single();
    }

    [Fact]
    public async Task An_actor_left_idle_for_actorIdleTimeout_is_deactivated_with_DELETE_and_reactivated_by_the_next_call()
    {
        var clock = new ManualClock();
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("devices", "devices-0",
            ActorTestRuntime.HostConfig("Device", ""","actorIdleTimeout":"10s","actorScanInterval":"1s" """), new InMemoryStateStore("s", clock), Ct);
        (await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct)).Dispose();
        Assert.Equal(1, ActiveCount(host, "Device"));

        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.DoesNotContain(host.App.Calls, c => c.Verb == "DELETE");
        clock.Advance(TimeSpan.FromSeconds(1));

        await Poll.UntilAsync(() => host.App.Calls.Any(c => c.Verb == "DELETE" && c.ActorId == "a"), "the idle actor is deactivated");
        await Poll.UntilAsync(() => ActiveCount(host, "Device") == 0, "the actor leaves the active table");
        using var again = await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(["PUT", "DELETE", "PUT"], host.App.CallsTo("Device", "a").Select(c => c.Verb));
    }

    [Fact]
    public async Task Each_call_pushes_the_idle_deadline_back()
    {
        var clock = new ManualClock();
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("devices", "devices-0",
            ActorTestRuntime.HostConfig("Device", ""","actorIdleTimeout":"10s" """), new InMemoryStateStore("s", clock), Ct);

        for (var i = 0; i < 3; i++)
        {
            (await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct)).Dispose();
            clock.Advance(TimeSpan.FromSeconds(6));
        }

        Assert.Equal(1, ActiveCount(host, "Device"));
        Assert.DoesNotContain(host.App.Calls, c => c.Verb == "DELETE");
    }

    [Fact]
    public async Task A_timer_calls_the_actor_with_its_registration_and_stops_when_the_actor_is_deactivated()
    {
        var clock = new ManualClock();
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("devices", "devices-0",
            ActorTestRuntime.HostConfig("Device", ""","actorIdleTimeout":"5s" """), new InMemoryStateStore("s", clock), Ct);
        (await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct)).Dispose();
        using var created = await host.Client.PostJsonAsync("v1.0/actors/Device/a/timers/tick",
            """{"dueTime":"1s","period":"20s","callback":"OnTick","data":{"x":1}}""");
        Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);

        clock.Advance(TimeSpan.FromSeconds(1));
        await Poll.UntilAsync(() => host.App.Calls.Any(c => c.Method == "timer/tick"), "the timer fires");
        var fired = host.App.Calls.Single(c => c.Method == "timer/tick");
        Assert.Equal("""{"callback":"OnTick","data":{"x":1},"dueTime":"1s","period":"20s"}""", fired.Body);
        Assert.Equal("PUT", fired.Verb);

        // The firing counts as use; five idle seconds later the actor is deactivated, and its timer with it.
        await Poll.UntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            return host.App.Calls.Any(c => c.Verb == "DELETE");
        }, "the actor is deactivated");
        clock.Advance(TimeSpan.FromSeconds(60));
        (await host.Client.PostAsync("v1.0/actors/Device/a/method/After", null, Ct)).Dispose();

        Assert.Equal(["Hello", "timer/tick", "", "After"], host.App.CallsTo("Device", "a").Select(c => c.Method));
    }

    [Fact]
    public async Task A_periodic_timer_keeps_firing_and_can_be_deleted()
    {
        var clock = new ManualClock();
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), new InMemoryStateStore("s", clock), Ct);
        (await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct)).Dispose();
        (await host.Client.PostJsonAsync("v1.0/actors/Device/a/timers/tick", """{"dueTime":"0s","period":"R3/PT2S"}""")).Dispose();

        for (var fired = 1; fired <= 3; fired++)
        {
            var expected = fired;
            await Poll.UntilAsync(() =>
            {
                clock.Advance(TimeSpan.FromMilliseconds(500));
                return host.App.Calls.Count(c => c.Method == "timer/tick") >= expected;
            }, $"the timer fires {expected} times");
        }
        clock.Advance(TimeSpan.FromSeconds(30));
        (await host.Client.PostAsync("v1.0/actors/Device/a/method/After", null, Ct)).Dispose();

        Assert.Equal(3, host.App.Calls.Count(c => c.Method == "timer/tick"));
        using var deleted = await host.Client.DeleteAsync("v1.0/actors/Device/a/timers/tick", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task A_timer_for_an_actor_that_is_not_active_in_this_sidecar_is_refused()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), new InMemoryStateStore("s", TimeProvider.System), Ct);

        using var response = await host.Client.PostJsonAsync("v1.0/actors/Device/never/timers/t", """{"dueTime":"1s"}""");

        Assert.Contains("actor not activated", await ActorTestHttp.ErrorAsync(response, 500, "ERR_ACTOR_TIMER_CREATE"));
    }

    [Theory]
    [InlineData("""{"dueTime":"soon"}""", "error creating actor timer: error parsing timer due time: unsupported time/duration format: soon")]
    [InlineData("""{"period":"R0/PT1S"}""", "error creating actor timer: invalid timer period: has zero repetitions")]
    [InlineData("""{"dueTime":"3000000h"}""", "error creating actor timer: error parsing timer due time: unsupported time/duration format: 3000000h")]
    [InlineData("""{"period":"3000000h"}""", "error creating actor timer: invalid timer period: parse error: unsupported duration format: 3000000h")]
    public async Task A_timer_with_an_unusable_time_is_a_500_ERR_ACTOR_TIMER_CREATE_as_in_daprd(string body, string message)
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), new InMemoryStateStore("s", TimeProvider.System), Ct);
        (await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct)).Dispose();

        using var response = await host.Client.PostJsonAsync("v1.0/actors/Device/a/timers/t", body);

        Assert.Equal(message, await ActorTestHttp.ErrorAsync(response, 500, "ERR_ACTOR_TIMER_CREATE"));
    }

    [Fact]
    public async Task A_timer_due_beyond_year_9999_is_a_500_ERR_ACTOR_TIMER_CREATE()
    {
        await using var runtime = new ActorTestRuntime();
        var host = await runtime.AddSidecarAsync("devices", "devices-0", ActorTestRuntime.HostConfig("Device"), new InMemoryStateStore("s", TimeProvider.System), Ct);
        (await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct)).Dispose();

        using var response = await host.Client.PostJsonAsync("v1.0/actors/Device/a/timers/t", """{"dueTime":"P9000Y"}""");

        Assert.StartsWith("error creating actor timer: error parsing timer due time: P9000Y from ",
            await ActorTestHttp.ErrorAsync(response, 500, "ERR_ACTOR_TIMER_CREATE"));
    }

    [Fact]
    public async Task A_timer_and_an_idle_timeout_longer_than_a_timer_can_wait_work()
    {
        var clock = new ManualClock();
        await using var runtime = new ActorTestRuntime(clock);
        var host = await runtime.AddSidecarAsync("devices", "devices-0",
            ActorTestRuntime.HostConfig("Device", ""","actorIdleTimeout":"3000h" """), new InMemoryStateStore("s", clock), Ct);
        (await host.Client.PostAsync("v1.0/actors/Device/a/method/Hello", null, Ct)).Dispose();

        using var created = await host.Client.PostJsonAsync("v1.0/actors/Device/a/timers/tick", """{"dueTime":"1200h","period":"1300h"}""");

        Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);
        var waiting = clock.PendingTimers;
        clock.Advance(TimeSpan.FromHours(1199));
        Assert.DoesNotContain(host.App.Calls, c => c.Method == "timer/tick");
        clock.Advance(TimeSpan.FromHours(1));
        await Poll.UntilAsync(() => host.App.Calls.Any(c => c.Method == "timer/tick"), "the timer fires 1200 hours on");
        // The timer waits for its next period only once the callback has returned: move time after that.
        await Poll.UntilAsync(() => clock.PendingTimers == waiting, "the timer waits for its next period");
        clock.Advance(TimeSpan.FromHours(1300));
        await Poll.UntilAsync(() => host.App.Calls.Count(c => c.Method == "timer/tick") == 2, "the timer fires again a period later");
        Assert.Equal(1, ActiveCount(host, "Device"));
    }
}
