using System.Diagnostics;
using System.Net;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.DeviceServices.Tests.EndToEnd;

/// <summary>Commands a device does not answer, and a device that leaves and comes back, through real firmware.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class CommandTests
{
    /// <summary>Short re-send delays and few attempts, so a case sees a command fail within seconds.</summary>
    private static readonly Dictionary<string, string> QuickRetries = new()
    {
        ["Twins__CommandRetryDelay"] = "00:00:00.300",
        ["Twins__CommandRetryMaxDelay"] = "00:00:01",
        ["Twins__CommandMaxAttempts"] = "3",
        // A device killed right after it connected: its last will is not taken for a replaced connection's.
        ["Twins__TakeoverGrace"] = "00:00:00.100",
    };

    [Fact]
    public async Task An_unacknowledged_command_is_sent_again_with_the_same_id_then_marked_failed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct, QuickRetries);
        var credentials = await platform.ProvisionAsync("lightbulb", "hung-", 1);
        var device = await platform.StartDevicesAsync("lightbulb", "hung-", credentials, ct);
        await platform.TwinUntilAsync("lightbulb", "hung-1", t => t.Properties.ContainsKey("power"), "hung-1 reports its state", ct);
        var (admin, password) = platform.BrokerAdmin;
        await using var watcher = await MqttTestClient.ConnectAsync(platform.BrokerPort, "watcher", admin, password, ct);
        Assert.True(await watcher.SubscribeAsync("dapriot/lightbulb/hung-1/cmd", ct));

        await device.PauseAsync();
        var result = await platform.LightBulb("hung-1").SetDesired(new LightBulbDesired(BrightnessPct: 7));

        var twin = await platform.TwinUntilAsync("lightbulb", "hung-1",
            t => t.Commands.Any(c => c.Id == result.CommandId && c.Status == CommandStatus.Failed), "the command fails", ct);
        var command = twin.Commands.Single(c => c.Id == result.CommandId);
        Assert.Equal(3, command.Attempts);
        Assert.Contains("no ack", command.Error);
        Assert.Equal(SyncStatus.Stale, twin.Properties["brightnessPct"].Status);
        // The watcher's copy of the last attempt travels on its own connection; the twin may say failed first.
        var copies = await TestSupport.Eventually.UntilAsync(
            _ => Task.FromResult(watcher.Received.Count(m => m.Payload.Contains(result.CommandId!, StringComparison.Ordinal))),
            count => count >= 3, "the watcher sees every attempt", count => $"{count} copies", TimeSpan.FromSeconds(10), ct);
        Assert.Equal(3, copies);

        // The device wakes up, takes the queued copies (the first applies, the others are acked as repeats), reports
        // its new state: the twin sees desired and reported agree.
        await device.ResumeAsync();
        twin = await platform.TwinUntilAsync("lightbulb", "hung-1",
            t => t.Properties["brightnessPct"].Reported?.GetInt32() == 7, "the late device reports brightness 7", ct);
        Assert.Equal(SyncStatus.Applied, twin.Properties["brightnessPct"].Status);
    }

    [Fact]
    public async Task A_command_is_accepted_at_once_while_the_broker_hangs_and_reaches_the_device_when_it_answers_again()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
        var credentials = await platform.ProvisionAsync("lightbulb", "stall-", 1);
        await platform.StartDevicesAsync("lightbulb", "stall-", credentials, ct);
        await platform.TwinUntilAsync("lightbulb", "stall-1", t => t.Properties.ContainsKey("power"), "stall-1 reports its state", ct);

        CommandResult result;
        var frozen = await platform.FreezeBrokerAsync();
        // The broker answers again after 5 s in any case, so a call that waits for it returns then, and fails the check.
        using var thaw = new CancellationTokenSource();
        _ = Task.Delay(TimeSpan.FromSeconds(5), thaw.Token).ContinueWith(_ => frozen.DisposeAsync().AsTask(), TaskContinuationOptions.OnlyOnRanToCompletion).Unwrap();
        try
        {
            var watch = Stopwatch.StartNew();
            result = await platform.LightBulb("stall-1").SetDesired(new LightBulbDesired(BrightnessPct: 33));
            var took = watch.Elapsed;
            Assert.True(took < TimeSpan.FromSeconds(2), $"SetDesired took {took.TotalMilliseconds:F0} ms while the broker hung");
            Assert.True(result.Ok);
            var pending = await platform.LightBulb("stall-1").GetTwin();
            Assert.Equal(CommandStatus.Pending, pending.Commands.Single(c => c.Id == result.CommandId).Status);
        }
        finally
        {
            await thaw.CancelAsync();
            await frozen.DisposeAsync();
        }

        var twin = await platform.TwinUntilAsync("lightbulb", "stall-1",
            t => t.Commands.Any(c => c.Id == result.CommandId && c.Status == CommandStatus.Applied), "the command is applied once the broker answers", ct);
        Assert.Equal(33, twin.Properties["brightnessPct"].Reported?.GetInt32());
    }

    [Fact]
    public async Task A_command_that_turns_a_bulb_off_is_never_given_up()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct, QuickRetries);
        var credentials = await platform.ProvisionAsync("lightbulb", "off-", 1);
        var device = await platform.StartDevicesAsync("lightbulb", "off-", credentials, ct);
        await platform.TwinUntilAsync("lightbulb", "off-1", t => t.Properties.ContainsKey("power"), "off-1 reports its state", ct);
        var on = await platform.LightBulb("off-1").SetDesired(new LightBulbDesired(Power: true));
        await platform.TwinUntilAsync("lightbulb", "off-1", t => t.Commands.Any(c => c.Id == on.CommandId && c.Status == CommandStatus.Applied), "on is applied", ct);

        await device.PauseAsync();
        var off = await platform.LightBulb("off-1").SetDesired(new LightBulbDesired(Power: false));
        var twin = await platform.TwinUntilAsync("lightbulb", "off-1",
            t => t.Commands.Single(c => c.Id == off.CommandId).Attempts > 4, "off is sent more often than the attempts others get", ct);
        Assert.Equal(CommandStatus.Pending, twin.Commands.Single(c => c.Id == off.CommandId).Status);

        await device.ResumeAsync();
        twin = await platform.TwinUntilAsync("lightbulb", "off-1",
            t => t.Commands.Single(c => c.Id == off.CommandId).Status == CommandStatus.Applied, "off is applied once the bulb answers", ct);
        Assert.False(twin.Properties["power"].Reported!.Value.GetBoolean());
    }

    [Fact]
    public async Task A_command_the_device_acknowledged_leaves_no_re_send_reminder_behind()
    {
        var ct = TestContext.Current.CancellationToken;
        // A re-send delay far beyond the test, so only the actor can have removed the reminder, not its firing.
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct, new Dictionary<string, string>
        {
            ["Twins__CommandRetryDelay"] = "00:05:00",
            ["Twins__CommandRetryMaxDelay"] = "00:05:00",
        });
        var credentials = await platform.ProvisionAsync("lightbulb", "tidy-", 1);
        var device = await platform.StartDevicesAsync("lightbulb", "tidy-", credentials, ct);
        await platform.TwinUntilAsync("lightbulb", "tidy-1", t => t.Properties.ContainsKey("power"), "tidy-1 reports its state", ct);
        var reminder = $"{platform.Runtime.SidecarUrl("lightbulb")}/v1.0/actors/{ActorTypes.LightBulb}/tidy-1/reminders/commands";

        await device.PauseAsync();
        var pending = await platform.LightBulb("tidy-1").SetDesired(new LightBulbDesired(BrightnessPct: 41));
        using (var whilePending = await platform.Runtime.Client.GetAsync(reminder, ct))
            Assert.Equal(HttpStatusCode.OK, whilePending.StatusCode);

        await device.ResumeAsync();
        await platform.TwinUntilAsync("lightbulb", "tidy-1",
            t => t.Commands.Any(c => c.Id == pending.CommandId && c.Status == CommandStatus.Applied), "the command is applied", ct);
        using var afterAck = await platform.Runtime.Client.GetAsync(reminder, ct);
        Assert.Equal(HttpStatusCode.NotFound, afterAck.StatusCode);
    }

    [Fact]
    public async Task A_commanded_bulbs_state_and_ack_are_applied_in_one_actor_turn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
        var credentials = await platform.ProvisionAsync("lightbulb", "pair-", 1);
        await platform.StartDevicesAsync("lightbulb", "pair-", credentials, ct);
        await platform.TwinUntilAsync("lightbulb", "pair-1", t => t.Properties.ContainsKey("power"), "pair-1 reports its state", ct);

        // The bulb answers each with its state and its ack, back to back. Several commands, so one pair that came
        // apart on a busy machine (more than the 5 ms window) does not decide the case.
        var commands = new List<string>();
        foreach (var brightness in new[] { 11, 22, 33, 44, 55 })
        {
            var result = await platform.LightBulb("pair-1").SetDesired(new LightBulbDesired(BrightnessPct: brightness));
            commands.Add(result.CommandId!);
            await platform.TwinUntilAsync("lightbulb", "pair-1",
                t => t.Commands.Any(c => c.Id == result.CommandId && c.Status == CommandStatus.Applied), $"brightness {brightness} is applied", ct);
        }

        var metrics = await platform.MetricsAsync("lightbulb", ct);
        var paired = DevicePlatform.Sum(metrics, "dapriot_device_report_pairs_total", "outcome=\"paired\"");
        Assert.True(paired >= 1, $"{paired} of {commands.Count} answers were applied as a pair");
        // A paired answer goes from pending to applied in one event: the bus never hears it was only received.
        var events = platform.Recorder.EventsOf("pair-1");
        Assert.Contains(commands, id => !events.Any(e => e.Twin.Commands.Any(c => c.Id == id && c.Status == CommandStatus.Received)));
    }

    [Fact]
    public async Task A_device_that_dies_is_offline_and_on_its_return_gets_one_resync_with_what_was_asked_meanwhile()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct, QuickRetries);
        var credentials = await platform.ProvisionAsync("lightbulb", "away-", 1);
        var device = await platform.StartDevicesAsync("lightbulb", "away-", credentials, ct, "--boot", "100");
        var before = await platform.TwinUntilAsync("lightbulb", "away-1",
            t => t.Presence.Status == PresenceState.Online && t.Properties.ContainsKey("power"), "away-1 is online", ct);

        await device.KillAsync();
        await platform.TwinUntilAsync("lightbulb", "away-1", t => t.Presence.Status == PresenceState.Offline,
            "the last will marks it offline", ct);

        var first = await platform.LightBulb("away-1").SetDesired(new LightBulbDesired(Power: true, BrightnessPct: 20));
        var second = await platform.LightBulb("away-1").SetDesired(new LightBulbDesired(BrightnessPct: 60, ColorTempK: 3000));
        var waiting = await platform.LightBulb("away-1").GetTwin();
        Assert.All(waiting.Commands.Where(c => c.Id == first.CommandId || c.Id == second.CommandId), c => Assert.Equal(0, c.Attempts));

        await platform.StartDevicesAsync("lightbulb", "away-", credentials, ct, "--boot", "101");
        var twin = await platform.TwinUntilAsync("lightbulb", "away-1",
            t => t.Presence.Status == PresenceState.Online && t.Properties.Values.All(p => p.Status == SyncStatus.Applied)
                 && t.Properties["brightnessPct"].Reported?.GetInt32() == 60,
            "the returning bulb converges on everything asked while it was away", ct);
        Assert.True(twin.Presence.Epoch > before.Presence.Epoch);
        Assert.True(twin.Properties["power"].Reported!.Value.GetBoolean());
        Assert.Equal(3000, twin.Properties["colorTempK"].Reported!.Value.GetInt32());
        // The two commands were taken over by one resync that carried all three values.
        Assert.All(twin.Commands.Where(c => c.Id == first.CommandId || c.Id == second.CommandId), c => Assert.Equal(CommandStatus.Superseded, c.Status));
        var resync = Assert.Single(twin.Commands, c => c.Status == CommandStatus.Applied && c.CreatedAt > waiting.Commands.Max(w => w.CreatedAt));
        Assert.Equal(["brightnessPct", "colorTempK", "power"], resync.Values.Keys.Order());
    }

    [Fact]
    public async Task Removing_a_device_deletes_its_login_and_disconnects_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
        var credentials = await platform.ProvisionAsync("sousvide", "gone-", 1);
        await platform.StartDevicesAsync("sousvide", "gone-", credentials, ct);
        await platform.TwinUntilAsync("sousvide", "gone-1", t => t.Presence.Status == PresenceState.Online, "gone-1 is online", ct);

        var taken = await platform.SousVide("gone-1").Provision(new ProvisionRequest("mallory", "mine now"));
        Assert.False(taken.Ok);
        Assert.Null(taken.Password);
        Assert.Equal("deviceId", Assert.Single(taken.Errors).Field);

        await platform.SousVide("gone-1").Remove();

        Assert.False((await platform.SousVide("gone-1").GetTwin()).Provisioned);
        var (client, refusal) = await MqttTestClient.TryConnectAsync(platform.BrokerPort, "gone-1", "gone-1", credentials["gone-1"], ct);
        Assert.Null(client);
        Assert.NotNull(refusal);
        var events = await TestSupport.Eventually.UntilAsync(_ => Task.FromResult(platform.Recorder.EventsOf("gone-1")),
            events => events.Any(e => e.Changes.Contains(Contracts.Events.DeviceChanges.Removed)), "a removed event", e => $"{e.Count} events",
            TimeSpan.FromSeconds(10), ct);
        var removal = events.Single(e => e.Changes.Contains(Contracts.Events.DeviceChanges.Removed));
        Assert.Equal("tester", removal.Owner);

        // The id is free again; the new device's versions continue after the removal's.
        var again = await platform.SousVide("gone-1").Provision(new ProvisionRequest("bob", "new pot"));
        Assert.True(again.Ok);
        var twin = await platform.SousVide("gone-1").GetTwin();
        Assert.Equal("bob", twin.Owner);
        Assert.True(twin.Version > removal.Version);
    }
}
