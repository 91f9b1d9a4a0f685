using System.Net;
using System.Text.Json;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.Actors;

public sealed class ActorReminderConformanceTests
{
    [Fact]
    public async Task A_reminder_due_while_the_runtime_is_stopped_fires_once_after_it_starts_again_and_a_timer_does_not()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await ActorRun.StartAsync(hostReplicas: 1, ct);
        var actorId = $"remind-{Guid.NewGuid():N}";
        var host = run.SidecarUrls[1];

        await run.Actors.InvokeAsync(host, actorId, "ScheduleReminder", new { name = "wake", dueTimeMs = 5000 }, ct);
        // A timer due at the same moment lives only in the sidecar's memory: the restart drops it.
        await run.Actors.InvokeAsync(host, actorId, "ScheduleTimer", new { name = "tick", dueTimeMs = 5000 }, ct);
        await run.Dapr.StopAsync();
        var stoppedAt = DateTimeOffset.UtcNow;
        await run.Dapr.RestartAsync(ct);

        // Firings are kept in the actor's state; the one-shot reminder is deleted once it fired.
        var firings = await Eventually.UntilAsync(
            async token => (Firings: await run.Actors.CallAsync(host, actorId, "GetReminderFirings", null, token),
                Reminder: (await run.Dapr.Client.GetAsync($"{host}/v1.0/actors/Probe/{actorId}/reminders/wake", token)).StatusCode),
            seen => seen.Firings.GetArrayLength() > 0 && seen.Reminder == HttpStatusCode.NotFound,
            "the reminder fired after the restart and was then removed",
            seen => $"firings {seen.Firings}, GET reminder {(int)seen.Reminder}", TimeSpan.FromSeconds(30), ct);

        var firing = Assert.Single(firings.Firings.EnumerateArray());
        Assert.Equal("wake", firing.GetProperty("name").GetString());
        var firedAt = firing.GetProperty("firedAt").GetDateTimeOffset();
        Assert.True(firedAt > stoppedAt, $"the reminder fired at {firedAt:O}, before the runtime was stopped at {stoppedAt:O}: stopping took longer than its due time");
        Assert.Equal($"{ActorRun.HostAppId}-{await run.Hosts[0].PidAsync(ct)}", firing.GetProperty("instance").GetString());
        // The timer was due when the reminder fired; give it a second in case it merely ran late.
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        Assert.Equal(0, (await run.Actors.CallAsync(host, actorId, "GetTimerFirings", null, ct)).GetArrayLength());
    }
}
