using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Model;
using DaprIoT.DeviceTwins.Twin;
using DaprIoT.LightBulb;
using DaprIoT.SousVide;

namespace DaprIoT.DeviceServices.Tests.Twin;

/// <summary>
/// A command goes pending → received (the ack) → applied (the state after it), or rejected, failed or superseded;
/// unacknowledged ones are re-sent with backoff, and what turns something off is never given up.
/// </summary>
public sealed class TwinCommandTests
{
    [Fact]
    public void A_set_to_an_online_device_is_sent_at_once_and_its_properties_are_pending()
    {
        var twin = TwinHarness.OnlineBulb();

        var (command, update) = twin.Set("""{"brightnessPct":80,"colorTempK":4000}""");

        Assert.Equal(CommandStatus.Pending, command.Status);
        Assert.Equal(1, command.Attempts);
        Assert.Same(command, Assert.Single(update.ToSend));
        Assert.Equal([DeviceChanges.Command, DeviceChanges.Desired], update.Changes);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "80", "50", SyncStatus.Pending);
        SyncAssert.Property(twin, LightBulbModel.ColorTempK, "4000", "3000", SyncStatus.Pending);
        Assert.Equal(command.Id, twin.Property(LightBulbModel.BrightnessPct).CommandId);
        // The wire command carries the command id, so the device's ack can be matched to it.
        Assert.Equal(new LightBulbSet(command.Id, null, 80, 4000), twin.Model.ToWire(command.Id, command.Name, command.Values));
    }

    [Fact]
    public void An_ack_means_received_and_the_state_after_it_means_applied()
    {
        var twin = TwinHarness.OnlineBulb();
        var (command, _) = twin.Set("""{"brightnessPct":80}""");

        var acked = twin.Ack(1, 3, command.Id);

        Assert.Equal(CommandStatus.Received, command.Status);
        Assert.Equal([DeviceChanges.Command], acked.Changes);
        Assert.Null(twin.Engine.NextCommandDue());
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "80", "50", SyncStatus.Pending);

        var stated = twin.Bulb(1, 4, power: true, brightnessPct: 80);

        Assert.Equal(CommandStatus.Applied, command.Status);
        Assert.Null(command.Error);
        Assert.Equal([DeviceChanges.Command, DeviceChanges.Reported], stated.Changes);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "80", "80", SyncStatus.Applied);
        Assert.Null(twin.Property(LightBulbModel.BrightnessPct).CommandId);
    }

    [Fact]
    public void A_state_before_the_ack_is_matched_when_the_ack_arrives()
    {
        // The binding may hand over the state (seq 4) before the ack (seq 3) that preceded it on the device.
        var twin = TwinHarness.OnlineBulb();
        var (command, _) = twin.Set("""{"brightnessPct":80}""");

        twin.Bulb(1, 4, power: true, brightnessPct: 80);
        Assert.Equal(CommandStatus.Pending, command.Status);

        twin.Ack(1, 3, command.Id);

        Assert.Equal(CommandStatus.Applied, command.Status);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "80", "80", SyncStatus.Applied);
    }

    [Fact]
    public void A_state_from_before_the_ack_does_not_conclude_the_command()
    {
        // A state already under way when the device took the command (seq 2 < ack seq 3) says nothing about it.
        var twin = TwinHarness.ForBulb();
        twin.Online(1, 1);
        var (command, _) = twin.Set("""{"brightnessPct":80}""");
        twin.Ack(1, 3, command.Id);

        twin.Bulb(1, 2, power: true, brightnessPct: 50);

        Assert.Equal(CommandStatus.Received, command.Status);
    }

    [Fact]
    public void A_refusing_ack_rejects_the_command_with_the_devices_error()
    {
        var twin = TwinHarness.OnlineBulb();
        var (command, _) = twin.Set("""{"colorTempK":6500}""");

        var update = twin.Nack(1, 3, command.Id, "out_of_range", "lamp tops out at 5000K");

        Assert.Equal(CommandStatus.Rejected, command.Status);
        Assert.Equal("out_of_range: lamp tops out at 5000K", command.Error);
        Assert.Contains(DeviceChanges.Command, update.Changes);
        SyncAssert.Property(twin, LightBulbModel.ColorTempK, "6500", "3000", SyncStatus.Rejected);
        Assert.Null(twin.Property(LightBulbModel.ColorTempK).CommandId);
        Assert.Null(twin.Engine.NextCommandDue());
    }

    [Fact]
    public void An_acknowledged_command_the_next_state_does_not_show_has_failed()
    {
        var twin = TwinHarness.OnlineBulb();
        var (command, _) = twin.Set("""{"brightnessPct":80,"colorTempK":4000}""");
        twin.Ack(1, 3, command.Id);

        twin.Bulb(1, 4, power: true, brightnessPct: 80, colorTempK: 3000);

        Assert.Equal(CommandStatus.Failed, command.Status);
        Assert.Equal("the device reports colorTempK=3000 after acknowledging", command.Error);
        SyncAssert.Property(twin, LightBulbModel.ColorTempK, "4000", "3000", SyncStatus.Stale);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "80", "80", SyncStatus.Stale);
    }

    [Fact]
    public void An_ack_after_the_state_that_followed_it_concludes_the_command_by_that_state()
    {
        // The state (seq 4) came first and does not show the command; the device will not send another one
        // unless something changes, so the command must not wait for it.
        var twin = TwinHarness.OnlineBulb();
        var (command, _) = twin.Set("""{"colorTempK":4000}""");
        twin.Bulb(1, 4, power: true, colorTempK: 3000);

        twin.Ack(1, 3, command.Id);

        Assert.Equal(CommandStatus.Failed, command.Status);
        SyncAssert.Property(twin, LightBulbModel.ColorTempK, "4000", "3000", SyncStatus.Stale);
    }

    [Fact]
    public void A_repeated_ack_changes_nothing()
    {
        var twin = TwinHarness.OnlineBulb();
        var (command, _) = twin.Set("""{"brightnessPct":80}""");
        twin.Ack(1, 3, command.Id);
        var version = twin.Twin.Version;

        var again = twin.Ack(1, 3, command.Id);

        Assert.Equal(IngestOutcome.Duplicate, again.Outcome);
        Assert.Empty(again.Changes);
        Assert.Equal(version, twin.Twin.Version);
        Assert.Equal(CommandStatus.Received, command.Status);
    }

    [Fact]
    public void An_ack_for_no_known_command_is_ignored()
    {
        var twin = TwinHarness.OnlineBulb();

        var update = twin.Ack(1, 3, "not-a-command-of-ours");

        Assert.Equal(IngestOutcome.Duplicate, update.Outcome);
        Assert.Empty(update.Changes);
    }

    [Fact]
    public void An_unacknowledged_command_is_sent_again_with_doubling_delays_under_the_cap()
    {
        var options = new TwinOptions { CommandMaxAttempts = 10 };
        var twin = TwinHarness.OnlineBulb(options);
        var (command, _) = twin.Set("""{"brightnessPct":80}""");
        var sentAt = twin.Now;

        // 2, 4, 8, 16, 32 s, then capped at 60 s.
        int[] waits = [2, 4, 8, 16, 32, 60, 60];
        foreach (var wait in waits)
        {
            Assert.Equal(sentAt + TimeSpan.FromSeconds(wait), twin.Engine.NextCommandDue());

            // Not a moment early.
            twin.Time.Advance(TimeSpan.FromSeconds(wait) - TimeSpan.FromMilliseconds(1));
            Assert.Empty(twin.RetryDue().ToSend);

            twin.Time.Advance(TimeSpan.FromMilliseconds(1));
            var update = twin.RetryDue();
            Assert.Same(command, Assert.Single(update.ToSend));
            sentAt = twin.Now;
        }

        Assert.Equal(waits.Length + 1, command.Attempts);
        Assert.Equal(CommandStatus.Pending, command.Status);
    }

    [Fact]
    public void A_command_still_unacknowledged_after_the_last_attempt_fails_and_leaves_its_properties_stale()
    {
        var twin = TwinHarness.OnlineBulb();
        var (command, _) = twin.Set("""{"brightnessPct":80}""");

        var sends = 1;
        TwinUpdate update;
        while (true)
        {
            twin.Time.Advance(twin.Engine.NextCommandDue()!.Value - twin.Now);
            update = twin.RetryDue();
            if (update.ToSend.Count == 0) break;
            sends++;
        }

        Assert.Equal(twin.Options.CommandMaxAttempts, sends);
        Assert.Equal(CommandStatus.Failed, command.Status);
        Assert.Equal("no ack after 5 sends", command.Error);
        Assert.Contains(DeviceChanges.Command, update.Changes);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "80", "50", SyncStatus.Stale);
        Assert.Null(twin.Engine.NextCommandDue());

        // A late ack finds nothing waiting for it.
        Assert.Equal(IngestOutcome.Duplicate, twin.Ack(1, 3, command.Id).Outcome);
    }

    public static TheoryData<string, string, string> OffCommands => new()
    {
        { "lightbulb", DeviceModel.SetCommand, """{"power":false}""" },
        { "lightbulb", DeviceModel.SetCommand, """{"power":false,"brightnessPct":10}""" },
        { "sousvide", DeviceModel.SetCommand, """{"heater":false}""" },
        { "sousvide", SousVideModel.StopProgramCommand, "{}" },
    };

    [Theory]
    [MemberData(nameof(OffCommands))]
    public void A_command_that_turns_something_off_is_sent_until_taken_and_never_fails(string type, string name, string valuesJson)
    {
        // Both devices start on, so the off is still to be seen when its ack arrives.
        var twin = type == "lightbulb" ? TwinHarness.OnlineBulb() : TwinHarness.OnlineCooker(heater: true);
        var values = TwinHarness.Json(valuesJson).EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        var (command, _) = twin.Issue(name, values);
        Assert.True(command.TurnsOff);

        for (var i = 0; i < 4 * twin.Options.CommandMaxAttempts; i++)
        {
            twin.Time.Advance(twin.Engine.NextCommandDue()!.Value - twin.Now);
            Assert.Same(command, Assert.Single(twin.RetryDue().ToSend));
        }

        Assert.Equal(CommandStatus.Pending, command.Status);
        Assert.Equal(twin.Now + twin.Options.CommandRetryMaxDelay, twin.Engine.NextCommandDue());

        // Taken at last: the device acks a re-send under the same id.
        twin.Ack(1, 3, command.Id);
        Assert.Equal(CommandStatus.Received, command.Status);
    }

    [Fact]
    public void A_newer_set_of_the_same_property_supersedes_the_older_pending_one()
    {
        var twin = TwinHarness.OnlineBulb();
        var (older, _) = twin.Set("""{"brightnessPct":80}""");

        var (newer, update) = twin.Set("""{"brightnessPct":20}""");

        Assert.Equal(CommandStatus.Superseded, older.Status);
        Assert.Equal(CommandStatus.Pending, newer.Status);
        Assert.Same(newer, Assert.Single(update.ToSend));
        Assert.Equal(twin.Now + twin.Options.CommandRetryDelay, twin.Engine.NextCommandDue());
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "20", "50", SyncStatus.Pending);

        // The device took the older one first and then the newer: the older's ack is no longer awaited, and the
        // state showing its value does not count for the newer.
        Assert.Equal(IngestOutcome.Duplicate, twin.Ack(1, 3, older.Id).Outcome);
        twin.Ack(1, 4, newer.Id);
        twin.Bulb(1, 5, power: true, brightnessPct: 80);
        Assert.Equal(CommandStatus.Failed, newer.Status);
        Assert.Equal(CommandStatus.Superseded, older.Status);
    }

    [Fact]
    public void An_older_command_that_still_carries_other_properties_stays_in_flight()
    {
        var twin = TwinHarness.OnlineBulb();
        var (older, _) = twin.Set("""{"power":false,"brightnessPct":80}""");

        var (newer, _) = twin.Set("""{"brightnessPct":20}""");

        Assert.Equal(CommandStatus.Pending, older.Status);
        Assert.Equal(older.Id, twin.Property(LightBulbModel.Power).CommandId);
        Assert.Equal(newer.Id, twin.Property(LightBulbModel.BrightnessPct).CommandId);

        // The older one is judged only by what it still carries: power.
        twin.Ack(1, 3, older.Id);
        twin.Ack(1, 4, newer.Id);
        twin.Bulb(1, 5, power: false, brightnessPct: 20);
        Assert.Equal(CommandStatus.Applied, older.Status);
        Assert.Equal(CommandStatus.Applied, newer.Status);
        SyncAssert.Property(twin, LightBulbModel.Power, "false", "false", SyncStatus.Applied);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "20", "20", SyncStatus.Applied);
    }

    [Fact]
    public void A_resend_of_an_older_set_does_not_carry_what_a_newer_one_took_over()
    {
        // The first send of the older set was lost; the newer off was taken. Re-sending the older one whole would
        // turn the bulb back on, and the twin would then take that for a change made at the device.
        var twin = TwinHarness.OnlineBulb();
        twin.Bulb(1, 3, power: false);
        var (older, _) = twin.Set("""{"power":true,"brightnessPct":80}""");
        var (newer, _) = twin.Set("""{"power":false}""");
        twin.Ack(1, 4, newer.Id);
        twin.Bulb(1, 5, power: false);
        Assert.Equal(CommandStatus.Applied, newer.Status);

        twin.Time.Advance(twin.Engine.NextCommandDue()!.Value - twin.Now);
        var resend = Assert.Single(twin.RetryDue().ToSend);

        Assert.Same(older, resend);
        Assert.Equal(new LightBulbSet(older.Id, null, 80, null), twin.Model.ToWire(resend.Id, resend.Name, resend.Values));
        SyncAssert.Property(twin, LightBulbModel.Power, "false", "false", SyncStatus.Applied);
    }

    [Fact]
    public void An_older_set_whose_off_was_taken_over_is_an_ordinary_command_again()
    {
        // Its off was overruled by a newer on: what is left (brightness) may fail like any other setting.
        var twin = TwinHarness.OnlineBulb();
        var (older, _) = twin.Set("""{"power":false,"brightnessPct":80}""");
        Assert.True(older.TurnsOff);

        twin.Set("""{"power":true}""");

        Assert.False(older.TurnsOff);
        Assert.Equal([LightBulbModel.BrightnessPct], older.Values.Keys);
    }

    [Fact]
    public void A_set_superseded_whole_still_shows_everything_it_asked_for()
    {
        var twin = TwinHarness.OnlineBulb();
        var (older, _) = twin.Set("""{"brightnessPct":80,"colorTempK":4000}""");

        twin.Set("""{"brightnessPct":20,"colorTempK":5000}""");

        Assert.Equal(CommandStatus.Superseded, older.Status);
        Assert.Equal(["brightnessPct", "colorTempK"], older.Values.Keys.Order());
    }

    [Fact]
    public void A_received_command_can_be_superseded_before_its_state_arrives()
    {
        var twin = TwinHarness.OnlineBulb();
        var (older, _) = twin.Set("""{"brightnessPct":80}""");
        twin.Ack(1, 3, older.Id);

        var (newer, _) = twin.Set("""{"brightnessPct":20}""");
        twin.Bulb(1, 4, power: true, brightnessPct: 80);

        Assert.Equal(CommandStatus.Superseded, older.Status);
        Assert.Equal(CommandStatus.Pending, newer.Status);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "20", "80", SyncStatus.Pending);
    }

    [Fact]
    public void Commands_issued_while_offline_wait_and_the_reconnect_sends_one_merged_set()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(TimeSpan.FromSeconds(10));
        twin.LastWill(1);
        Assert.Equal(PresenceState.Offline, twin.Twin.Presence.Status);

        var (first, firstUpdate) = twin.Set("""{"power":false,"brightnessPct":80}""");
        var (second, secondUpdate) = twin.Set("""{"brightnessPct":20,"colorTempK":5000}""");

        Assert.Empty(firstUpdate.ToSend);
        Assert.Empty(secondUpdate.ToSend);
        Assert.Equal(0, first.Attempts);
        Assert.Null(twin.Engine.NextCommandDue());
        twin.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(twin.RetryDue().ToSend);

        var reconnect = twin.Online(2, 1);

        var resync = Assert.Single(reconnect.ToSend);
        Assert.Equal(DeviceModel.SetCommand, resync.Name);
        Assert.Equal(new LightBulbSet(resync.Id, false, 20, 5000), twin.Model.ToWire(resync.Id, resync.Name, resync.Values));
        // It carries an off, so it inherits the promise never to give up.
        Assert.True(resync.TurnsOff);
        Assert.Equal(CommandStatus.Superseded, first.Status);
        Assert.Equal(CommandStatus.Superseded, second.Status);
        Assert.All(twin.Twin.Properties.Values, p => Assert.Equal(resync.Id, p.CommandId));
    }

    [Fact]
    public void A_command_due_while_the_device_is_away_waits_for_the_resync()
    {
        var twin = TwinHarness.OnlineBulb();
        var (command, _) = twin.Set("""{"brightnessPct":80}""");
        twin.Time.Advance(TimeSpan.FromSeconds(1));
        twin.CleanOffline(1, 3);

        twin.Time.Advance(TimeSpan.FromSeconds(5));
        var retry = twin.RetryDue();

        Assert.Empty(retry.ToSend);
        Assert.Null(twin.Engine.NextCommandDue());
        Assert.Equal(CommandStatus.Pending, command.Status);

        var back = twin.Online(1, 4);
        var resync = Assert.Single(back.ToSend);
        Assert.Equal(new LightBulbSet(resync.Id, null, 80, null), twin.Model.ToWire(resync.Id, resync.Name, resync.Values));
    }

    [Fact]
    public void A_program_start_not_yet_taken_goes_whole_when_a_stop_takes_its_heater_so_it_is_never_sent_after_the_stop()
    {
        var twin = TwinHarness.OnlineCooker();
        var (start, _) = twin.Issue(SousVideModel.StartProgramCommand, new Dictionary<string, System.Text.Json.JsonElement>
        {
            [SousVideModel.TargetTempC] = TwinHarness.Json("80.0"),
            [SousVideModel.DurationS] = TwinHarness.Json("600"),
        });
        var (stop, _) = twin.Issue(SousVideModel.StopProgramCommand, new Dictionary<string, System.Text.Json.JsonElement>());

        Assert.Equal(CommandStatus.Superseded, start.Status);
        Assert.Null(start.NextAttemptAt);
        Assert.Equal(stop.Id, twin.Property(SousVideModel.Heater).CommandId);
        // The target the start carried is no longer on its way: it shows as not reached, with nothing reconciling it.
        SyncAssert.Property(twin, SousVideModel.TargetTempC, "80.0", "60.0", SyncStatus.Stale);
        twin.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.DoesNotContain(twin.RetryDue().ToSend, c => c.Id == start.Id);
    }

    [Fact]
    public void A_program_start_the_cooker_took_stays_when_a_newer_set_changes_its_target()
    {
        var twin = TwinHarness.OnlineCooker();
        var (start, _) = twin.Issue(SousVideModel.StartProgramCommand, new Dictionary<string, System.Text.Json.JsonElement>
        {
            [SousVideModel.TargetTempC] = TwinHarness.Json("80.0"),
            [SousVideModel.DurationS] = TwinHarness.Json("600"),
        });
        twin.Ack(1, 3, start.Id);

        twin.Set("""{"targetTempC":75.0}""");

        Assert.Equal(CommandStatus.Received, start.Status);
        Assert.Equal(start.Id, twin.Property(SousVideModel.Heater).CommandId);
    }

    [Fact]
    public void A_cooker_stop_issued_while_offline_is_sent_again_as_it_was_beside_the_merged_set()
    {
        var twin = TwinHarness.OnlineCooker();
        twin.CleanOffline(1, 3);
        var (stop, _) = twin.Issue(SousVideModel.StopProgramCommand, new Dictionary<string, System.Text.Json.JsonElement>());
        var (set, _) = twin.Set("""{"targetTempC":55.5}""");

        var back = twin.Online(1, 4);

        Assert.Equal(2, back.ToSend.Count);
        Assert.Same(stop, back.ToSend[0]);
        var resync = back.ToSend[1];
        Assert.Equal(new SousVideSet(resync.Id, null, 55.5m), twin.Model.ToWire(resync.Id, resync.Name, resync.Values));
        Assert.Equal(CommandStatus.Superseded, set.Status);
        Assert.Equal(stop.Id, twin.Property(SousVideModel.Heater).CommandId);
    }

    [Fact]
    public void The_twin_keeps_every_command_in_flight_and_only_the_most_recent_finished_ones()
    {
        var twin = TwinHarness.OnlineBulb();
        var issued = new List<CommandRecord>();
        for (var pct = 1; pct <= 15; pct++)
        {
            twin.Time.Advance(TimeSpan.FromSeconds(1));
            issued.Add(twin.Set($$"""{"brightnessPct":{{pct}}}""").Command);
        }

        Assert.Equal(twin.Options.FinishedCommandsKept + 1, twin.Twin.Commands.Count);
        Assert.Equal(issued.AsEnumerable().Reverse().Take(11).Select(c => c.Id), twin.Twin.Commands.Select(c => c.Id));
        Assert.True(twin.Twin.Commands[0].InFlight);
    }

    [Fact]
    public void A_reconnect_with_nothing_pending_sends_nothing()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.CleanOffline(1, 3);

        Assert.Empty(twin.Online(1, 4).ToSend);
    }
}
