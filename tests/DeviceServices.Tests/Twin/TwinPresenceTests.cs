using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceTwins.Model;
using DaprIoT.DeviceTwins.Twin;

namespace DaprIoT.DeviceServices.Tests.Twin;

/// <summary>
/// Presence comes from the birth message, the last will and heartbeat silence; connection epochs keep an old
/// connection's late offline from ending a newer one, and damping keeps a flapping device from flooding events.
/// </summary>
public sealed class TwinPresenceTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void An_online_message_starts_a_connection_epoch_and_the_heartbeat_watch()
    {
        var twin = TwinHarness.ForBulb();

        var update = twin.Online(1, 1, heartbeatS: 20, fw: "2.1.0");

        var presence = twin.Twin.Presence;
        Assert.Equal(PresenceState.Online, presence.Status);
        Assert.Equal(TwinEngine.ReasonConnected, presence.Reason);
        Assert.Equal(1, presence.Epoch);
        Assert.Equal(1u, presence.EpochBoot);
        Assert.Equal(twin.Now, presence.EpochStartedAt);
        Assert.Equal(20, presence.HeartbeatS);
        Assert.Equal("2.1.0", presence.Firmware);
        Assert.True(update.WatchHeartbeat);
        Assert.Equal([DeviceChanges.Presence], update.Changes);
        Assert.Equal(TimeSpan.FromSeconds(60), twin.Engine.HeartbeatLimit);
    }

    [Fact]
    public void A_retained_online_delivered_again_is_a_duplicate_and_starts_no_epoch()
    {
        var twin = TwinHarness.ForBulb();
        twin.Online(1, 1);
        twin.Time.Advance(TimeSpan.FromSeconds(30));

        var again = twin.Online(1, 1);

        Assert.Equal(IngestOutcome.Duplicate, again.Outcome);
        Assert.Empty(again.Changes);
        Assert.Equal(1, twin.Twin.Presence.Epoch);
        Assert.Equal(TwinHarness.Start, twin.Twin.Presence.EpochStartedAt);
    }

    [Fact]
    public void A_last_will_of_the_same_boot_just_after_an_online_belongs_to_the_replaced_connection()
    {
        // The device reconnected and took over its client id; the broker then published the old session's will.
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(TimeSpan.FromMinutes(10));
        twin.Online(1, 40);
        twin.Time.Advance(twin.Options.TakeoverGrace - Tick);

        var update = twin.LastWill(1);

        Assert.Equal(IngestOutcome.Duplicate, update.Outcome);
        Assert.Empty(update.Changes);
        Assert.Equal(PresenceState.Online, twin.Twin.Presence.Status);
    }

    [Fact]
    public void A_last_will_of_the_current_connection_after_the_grace_marks_the_device_offline()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(twin.Options.TakeoverGrace);

        var update = twin.LastWill(1);

        Assert.Equal(IngestOutcome.Applied, update.Outcome);
        Assert.Equal(PresenceState.Offline, twin.Twin.Presence.Status);
        Assert.Equal(TwinEngine.ReasonConnectionLost, twin.Twin.Presence.Reason);
        Assert.Equal(twin.Now, twin.Twin.Presence.Since);
        Assert.True(update.Save);
        // Once offline, the will delivered again adds nothing.
        Assert.Equal(IngestOutcome.Duplicate, twin.LastWill(1).Outcome);
    }

    [Fact]
    public void A_last_will_of_an_older_boot_does_not_end_the_connection_of_a_newer_one()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(TimeSpan.FromSeconds(20));
        twin.Online(2, 1);
        twin.Time.Advance(TimeSpan.FromMinutes(5));

        var update = twin.LastWill(1);

        Assert.Equal(IngestOutcome.Duplicate, update.Outcome);
        Assert.Equal(PresenceState.Online, twin.Twin.Presence.Status);
        Assert.Equal(2, twin.Twin.Presence.Epoch);
    }

    [Fact]
    public void A_clean_offline_marks_the_device_disconnected()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(TimeSpan.FromSeconds(20));

        var update = twin.CleanOffline(1, 3);

        Assert.Equal(PresenceState.Offline, twin.Twin.Presence.Status);
        Assert.Equal(TwinEngine.ReasonDisconnected, twin.Twin.Presence.Reason);
        Assert.Contains(DeviceChanges.Presence, update.Changes);
        Assert.False(twin.Engine.CheckHeartbeat(twin.Now, new TwinUpdate()));
    }

    [Fact]
    public void A_clean_offline_older_than_the_last_online_is_ignored()
    {
        // The offline before a quick reconnect arrives after the new connection's online.
        var twin = TwinHarness.OnlineBulb();
        twin.Online(1, 9);

        var update = twin.CleanOffline(1, 8);

        Assert.Equal(IngestOutcome.Duplicate, update.Outcome);
        Assert.Equal(PresenceState.Online, twin.Twin.Presence.Status);
    }

    [Fact]
    public void Heartbeat_silence_longer_than_three_periods_marks_the_device_offline()
    {
        var twin = TwinHarness.ForBulb();
        twin.Online(1, 1, heartbeatS: 10);
        twin.Time.Advance(TimeSpan.FromSeconds(25));
        twin.Heard(1, 2);

        twin.Time.Advance(TimeSpan.FromSeconds(30));
        var stillThere = new TwinUpdate();
        Assert.True(twin.Engine.CheckHeartbeat(twin.Now, stillThere));
        Assert.Empty(stillThere.Changes);

        twin.Time.Advance(Tick);
        var gone = new TwinUpdate();
        Assert.False(twin.Engine.CheckHeartbeat(twin.Now, gone));

        Assert.Equal(PresenceState.Offline, twin.Twin.Presence.Status);
        Assert.Equal(TwinEngine.ReasonMissedHeartbeats, twin.Twin.Presence.Reason);
        Assert.True(gone.Save);
    }

    [Fact]
    public void A_device_heard_from_after_missed_heartbeats_is_back_online_in_a_new_epoch()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(twin.Engine.HeartbeatLimit + Tick);
        twin.Run(update => twin.Engine.CheckHeartbeat(twin.Now, update));
        twin.Time.Advance(TimeSpan.FromMinutes(1));

        var update = twin.Heard(1, 3);

        var presence = twin.Twin.Presence;
        Assert.Equal(PresenceState.Online, presence.Status);
        Assert.Equal(TwinEngine.ReasonHeard, presence.Reason);
        Assert.Equal(2, presence.Epoch);
        Assert.Equal(twin.Now, presence.EpochStartedAt);
        Assert.True(update.WatchHeartbeat);
        Assert.Contains(DeviceChanges.Presence, update.Changes);
        // Same boot and its state is known: nothing to ask for.
        Assert.Empty(update.ToSend);
    }

    [Fact]
    public void A_device_heard_from_in_a_new_boot_after_missed_heartbeats_is_asked_for_its_state()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(twin.Engine.HeartbeatLimit + Tick);
        twin.Run(update => twin.Engine.CheckHeartbeat(twin.Now, update));

        var update = twin.Heard(2, 1);

        var request = Assert.Single(update.ToSend);
        Assert.Equal(DeviceModel.ReportCommand, request.Name);
        Assert.Equal(2u, twin.Twin.Presence.EpochBoot);
    }

    [Fact]
    public void A_device_of_unknown_presence_that_is_heard_from_is_online()
    {
        var twin = TwinHarness.ForBulb();

        var update = twin.Heard(1, 5);

        Assert.Equal(PresenceState.Online, twin.Twin.Presence.Status);
        Assert.Equal(1, twin.Twin.Presence.Epoch);
        Assert.Equal(DeviceModel.ReportCommand, Assert.Single(update.ToSend).Name);
    }

    [Fact]
    public void A_device_that_never_announced_its_heartbeat_is_given_the_default_period()
    {
        var twin = TwinHarness.ForBulb();
        twin.Heard(1, 5);

        Assert.Equal(TimeSpan.FromSeconds(3 * twin.Options.DefaultHeartbeatS), twin.Engine.HeartbeatLimit);
        twin.Time.Advance(twin.Engine.HeartbeatLimit);
        Assert.True(twin.Engine.CheckHeartbeat(twin.Now, new TwinUpdate()));
        twin.Time.Advance(Tick);
        Assert.False(twin.Engine.CheckHeartbeat(twin.Now, new TwinUpdate()));
    }

    [Fact]
    public void Telemetry_does_not_overrule_a_last_will()
    {
        // Only silence is undone by hearing from the device; a lost connection waits for the next online.
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(TimeSpan.FromSeconds(20));
        twin.LastWill(1);

        twin.Heard(1, 3);

        Assert.Equal(PresenceState.Offline, twin.Twin.Presence.Status);
        Assert.Equal(1, twin.Twin.Presence.Epoch);
    }

    [Fact]
    public void New_firmware_announced_while_online_is_a_presence_change()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(TimeSpan.FromMinutes(1));

        var update = twin.Online(1, 3, fw: "1.0.1");

        Assert.Equal([DeviceChanges.Presence], update.Changes);
        Assert.Equal("1.0.1", twin.Twin.Presence.Firmware);
        Assert.Equal(2, twin.Twin.Presence.Epoch);
    }

    [Fact]
    public void A_flap_within_the_damping_window_is_not_told_and_nothing_is_told_once_it_is_back()
    {
        var twin = TwinHarness.OnlineBulb();
        var announcedAt = twin.Now;
        twin.Time.Advance(twin.Options.TakeoverGrace + TimeSpan.FromSeconds(1));

        var down = twin.LastWill(1);
        Assert.DoesNotContain(DeviceChanges.Presence, down.Changes);
        Assert.Equal(announcedAt + twin.Options.PresenceDamping, down.AnnouncePresenceAt);

        twin.Time.Advance(TimeSpan.FromSeconds(1));
        var up = twin.Online(1, 3);
        Assert.DoesNotContain(DeviceChanges.Presence, up.Changes);

        twin.Time.Advance(down.AnnouncePresenceAt!.Value - twin.Now);
        var later = twin.Run(update => twin.Engine.AnnouncePresence(twin.Now, update));
        Assert.Empty(later.Changes);
        Assert.Equal(PresenceState.Online, twin.Twin.Presence.AnnouncedStatus);
    }

    [Fact]
    public void A_change_held_back_by_damping_is_told_when_the_window_ends_if_it_still_holds()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(TimeSpan.FromSeconds(4));
        var down = twin.LastWill(1);

        // The actor's timer could fire early; then it is put off again, to the same time.
        twin.Time.Advance(TimeSpan.FromSeconds(1));
        var early = twin.Run(update => twin.Engine.AnnouncePresence(twin.Now, update));
        Assert.Empty(early.Changes);
        Assert.Equal(down.AnnouncePresenceAt, early.AnnouncePresenceAt);

        twin.Time.Advance(down.AnnouncePresenceAt!.Value - twin.Now);
        var told = twin.Run(update => twin.Engine.AnnouncePresence(twin.Now, update));

        Assert.Equal([DeviceChanges.Presence], told.Changes);
        Assert.Equal(PresenceState.Offline, twin.Twin.Presence.AnnouncedStatus);
    }

    [Fact]
    public void A_flapping_device_is_told_at_most_once_per_damping_window_and_its_settled_state_at_the_end()
    {
        var twin = TwinHarness.ForBulb();
        var told = new List<DateTimeOffset>();
        DateTimeOffset? announceAt = null;
        uint seq = 0;

        void Track(TwinUpdate update)
        {
            if (update.Changes.Contains(DeviceChanges.Presence)) told.Add(twin.Now);
            if (update.AnnouncePresenceAt is { } at) announceAt = at;
        }

        // As the actor does: a held-back change is announced by a timer at the time the update asked for.
        void Step(TimeSpan by)
        {
            var until = twin.Now + by;
            while (announceAt is { } at && at <= until)
            {
                twin.Time.Advance(at - twin.Now);
                announceAt = null;
                Track(twin.Run(update => twin.Engine.AnnouncePresence(twin.Now, update)));
            }

            twin.Time.Advance(until - twin.Now);
        }

        // A minute of connecting, then losing the connection 4 s later (past the takeover grace), 1 s offline.
        for (var i = 0; i < 12; i++)
        {
            Track(twin.Online(1, ++seq));
            Step(TimeSpan.FromSeconds(4));
            Track(twin.LastWill(1));
            Step(TimeSpan.FromSeconds(1));
        }

        // Then it stays away.
        Step(TimeSpan.FromMinutes(1));

        Assert.InRange(told.Count, 2, 7);
        foreach (var (earlier, next) in told.Zip(told.Skip(1)))
            Assert.True(next - earlier >= twin.Options.PresenceDamping, $"told at {earlier:T} and again at {next:T}");
        Assert.Equal(PresenceState.Offline, twin.Twin.Presence.AnnouncedStatus);
    }

    [Fact]
    public void An_online_device_gets_a_whole_heartbeat_window_after_the_actor_is_activated()
    {
        // The platform was down for longer than the window: the silence was not the device's.
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(TimeSpan.FromMinutes(10));

        twin.Engine.Activated(twin.Now);

        Assert.Equal(twin.Now, twin.Twin.Presence.LastSeen);
        Assert.True(twin.Engine.CheckHeartbeat(twin.Now, new TwinUpdate()));
        twin.Time.Advance(twin.Engine.HeartbeatLimit);
        Assert.True(twin.Engine.CheckHeartbeat(twin.Now, new TwinUpdate()));
        twin.Time.Advance(Tick);
        Assert.False(twin.Engine.CheckHeartbeat(twin.Now, new TwinUpdate()));
    }

    [Fact]
    public void Activating_the_actor_of_an_offline_device_changes_nothing()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Time.Advance(TimeSpan.FromSeconds(5));
        twin.CleanOffline(1, 3);
        var lastSeen = twin.Twin.Presence.LastSeen;
        twin.Time.Advance(TimeSpan.FromMinutes(10));

        twin.Engine.Activated(twin.Now);

        Assert.Equal(lastSeen, twin.Twin.Presence.LastSeen);
        Assert.Equal(PresenceState.Offline, twin.Twin.Presence.Status);
    }
}
