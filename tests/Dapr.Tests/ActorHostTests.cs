using System.Net;
using System.Text;
using System.Text.Json;
using DaprIoT.Dapr.Actors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.Dapr.Tests;

public sealed class ActorHostTests : IAsyncLifetime
{
    private FakeSidecar _sidecar = null!;
    private TestHost _host = null!;
    private ActorTestRecorder Recorder => _host.App.Services.GetRequiredService<ActorTestRecorder>();

    public async ValueTask InitializeAsync()
    {
        _sidecar = await FakeSidecar.StartAsync();
        _host = await TestHost.StartAsync(builder =>
        {
            builder.Services.AddSingleton<ActorTestRecorder>();
            builder.Services.AddActors(options =>
            {
                options.RegisterActor<CounterActor>("Counter", type => type.ActorIdleTimeout = TimeSpan.FromMinutes(10));
                options.ActorIdleTimeout = TimeSpan.FromMinutes(30);
                options.DrainOngoingCallTimeout = TimeSpan.FromSeconds(45);
            });
        }, app => app.MapActorsHandlers(), new Dictionary<string, string?> { ["DAPR_HTTP_PORT"] = _sidecar.Port.ToString() });
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _sidecar.DisposeAsync();
    }

    private static string NewId() => Guid.NewGuid().ToString("N");

    private Task<HttpResponseMessage> CallAsync(string id, string method, string? json = null) =>
        _host.Client.PutAsync($"/actors/Counter/{id}/method/{method}",
            json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Dapr_config_reports_the_hosted_types_and_settings_in_go_durations()
    {
        var json = await _host.Client.GetStringAsync("/dapr/config", TestContext.Current.CancellationToken);

        Assert.Equal(
            """{"entities":["Counter"],"actorIdleTimeout":"30m0s","actorScanInterval":"30s","drainOngoingCallTimeout":"45s","drainRebalancedActors":true,"reentrancy":{"enabled":false,"maxStackDepth":32},"entitiesConfig":[{"entities":["Counter"],"actorIdleTimeout":"10m0s"}]}""",
            json);
    }

    [Fact]
    public async Task A_method_is_found_by_name_takes_its_json_argument_and_answers_exactly_200_with_json()
    {
        var id = NewId();

        var first = await CallAsync(id, "Increment", "5");
        var second = await CallAsync(id, "Increment", "2");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("7", await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("7", _sidecar.ActorState[$"Counter/{id}/count"]);
    }

    [Fact]
    public async Task A_method_without_result_answers_200_not_204()
    {
        var response = await CallAsync(NewId(), "Forget");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Methods_answer_to_their_name_with_or_without_the_async_suffix()
    {
        var response = await CallAsync(NewId(), "IncrementThenFail");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("true", response.Headers.GetValues("X-Daprerrorresponseheader").Single());
    }

    [Fact]
    public async Task A_failed_call_saves_nothing_and_forgets_its_unsaved_changes()
    {
        var id = NewId();
        await CallAsync(id, "Increment", "1");

        await CallAsync(id, "IncrementThenFailAsync");
        var after = await CallAsync(id, "Increment", "1");

        Assert.Equal("2", await after.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_unknown_method_is_404_so_daprd_does_not_retry_it()
    {
        var response = await CallAsync(NewId(), "Nope");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Increment", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_bad_argument_is_400_marked_as_an_actor_error()
    {
        var response = await CallAsync(NewId(), "Increment", "\"not a number\"");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(response.Headers.Contains("X-Daprerrorresponseheader"));
    }

    [Fact]
    public async Task Calls_to_one_actor_run_one_at_a_time_in_arrival_order_while_other_actors_run_in_parallel()
    {
        var id = NewId();
        var first = CallAsync(id, "Slow", """{"label":"a","delayMs":300}""");
        await WaitUntilAsync(() => Recorder.Events.Contains("start a"));
        var second = CallAsync(id, "Slow", """{"label":"b","delayMs":10}""");
        var other = CallAsync(NewId(), "Slow", """{"label":"c","delayMs":10}""");

        await Task.WhenAll(first, second, other);

        var events = Recorder.Events.Where(e => e.StartsWith("start") || e.StartsWith("end")).ToList();
        Assert.True(events.IndexOf("end a") < events.IndexOf("start b"), string.Join(", ", events));
        Assert.True(events.IndexOf("end c") < events.IndexOf("end a"), string.Join(", ", events));
    }

    [Fact]
    public async Task An_actor_is_activated_once_and_again_only_after_deactivation()
    {
        var id = NewId();
        await CallAsync(id, "WhoAmI");
        await CallAsync(id, "WhoAmI");

        var deactivation = await _host.Client.DeleteAsync($"/actors/Counter/{id}", TestContext.Current.CancellationToken);
        var afterwards = await CallAsync(id, "WhoAmI");

        Assert.Equal(HttpStatusCode.OK, deactivation.StatusCode);
        Assert.Equal($"\"Counter/{id}\"", await afterwards.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal([$"activate {id}", $"deactivate {id}", $"activate {id}"], Recorder.Events.Where(e => e.EndsWith(id)).ToList());
    }

    [Fact]
    public async Task Deactivating_an_unknown_id_is_fine()
    {
        var response = await _host.Client.DeleteAsync($"/actors/Counter/{NewId()}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_reminder_callback_reaches_receive_reminder_with_its_data_and_saves_state()
    {
        var id = NewId();

        var response = await _host.Client.PutAsync($"/actors/Counter/{id}/method/remind/nudge",
            new StringContent("""{"data":{"n":1},"dueTime":"","period":""}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("reminder nudge {\"n\":1} '' ''", Recorder.Events);
        Assert.Equal("\"nudge\"", _sidecar.ActorState[$"Counter/{id}/last-reminder"]);
    }

    [Fact]
    public async Task A_timer_callback_calls_the_named_private_method_with_the_timer_data()
    {
        var response = await _host.Client.PutAsync($"/actors/Counter/{NewId()}/method/timer/tick",
            new StringContent("""{"callback":"OnTick","data":{"label":"t1","delayMs":0},"dueTime":"1s","period":"5s"}""", Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("timer t1", Recorder.Events);
    }

    [Fact]
    public async Task Registering_timers_and_reminders_goes_through_the_sidecar_with_dapr_wire_shapes()
    {
        var id = NewId();

        await CallAsync(id, "ScheduleTick");
        await CallAsync(id, "ScheduleNudge");

        var timer = _sidecar.Single(r => r.Path == $"/v1.0/actors/Counter/{id}/timers/tick").Json;
        Assert.Equal(("OnTick", "1s", "5s"), (timer.GetProperty("callback").GetString(), timer.GetProperty("dueTime").GetString(), timer.GetProperty("period").GetString()));
        Assert.Equal("timer", timer.GetProperty("data").GetProperty("label").GetString());
        var reminder = _sidecar.Single(r => r.Path == $"/v1.0/actors/Counter/{id}/reminders/nudge").Json;
        Assert.Equal(("2s", "24h0m0s", 1), (reminder.GetProperty("dueTime").GetString(), reminder.GetProperty("period").GetString(), reminder.GetProperty("data").GetProperty("n").GetInt32()));
    }

    [Fact]
    public async Task An_unknown_actor_type_is_404()
    {
        var response = await _host.Client.PutAsync($"/actors/Nope/{NewId()}/method/WhoAmI", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_actor_host_answers_healthz()
    {
        var response = await _host.Client.GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task State_is_read_from_the_sidecar_once_per_activation_and_removal_deletes_it()
    {
        var id = NewId();
        _sidecar.ActorState[$"Counter/{id}/count"] = "4";

        var read = await CallAsync(id, "ReadTwice");
        await CallAsync(id, "ReadTwice");
        await CallAsync(id, "Forget");
        var afterRemoval = await CallAsync(id, "Increment", "1");

        Assert.Equal("8", await read.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Single(_sidecar.Requests, r => r.Method == "GET" && r.Path == $"/v1.0/actors/Counter/{id}/state/count");
        Assert.Single(_sidecar.Requests, r => r.Path == $"/v1.0/actors/Counter/{id}/state" && r.Body.Contains("\"delete\""));
        Assert.Equal("1", await afterRemoval.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Reading_state_that_was_never_written_fails_the_call_with_the_key_named()
    {
        var response = await CallAsync(NewId(), "ReadMissing");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("never-written", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Without_the_app_side_lock_calls_overlap_but_an_id_is_still_activated_once()
    {
        await using var sidecar = await FakeSidecar.StartAsync();
        await using var host = await TestHost.StartAsync(builder =>
        {
            builder.Services.AddSingleton<ActorTestRecorder>();
            builder.Services.AddActors(options =>
            {
                options.RegisterActor<CounterActor>("Counter");
                options.EnforceTurnsInApp = false;
            });
        }, app => app.MapActorsHandlers(), new Dictionary<string, string?> { ["DAPR_HTTP_PORT"] = sidecar.Port.ToString() });
        var id = NewId();

        await Task.WhenAll(Enumerable.Range(0, 3).Select(i => host.Client.PutAsync($"/actors/Counter/{id}/method/Slow",
            new StringContent($$"""{"label":"p{{i}}","delayMs":300}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken)));

        var recorder = host.App.Services.GetRequiredService<ActorTestRecorder>();
        Assert.True(recorder.MaxConcurrency > 1);
        Assert.Single(recorder.Events, e => e == $"activate {id}");
    }

    [Fact]
    public async Task An_apps_own_healthz_wins_over_the_actor_hosts_without_ambiguity()
    {
        await using var host = await TestHost.StartAsync(builder => builder.Services.AddActors(options => options.RegisterActor<CounterActor>()), app =>
        {
            app.MapGet("/healthz", () => Results.Text("own"));
            app.MapActorsHandlers();
        });

        var response = await host.Client.GetStringAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal("own", response);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 5 s");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
