using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceTwins.Twin;
using DaprIoT.LightBulb;
using DaprIoT.SousVide;

namespace DaprIoT.DeviceServices.Tests.Twin;

/// <summary>States are applied in (boot, seq) order: the broker and the bus may redeliver and reorder them.</summary>
public sealed class TwinOrderingTests
{
    [Fact]
    public void A_state_older_than_the_last_applied_changes_nothing()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Bulb(1, 10, power: true, brightnessPct: 80);
        var version = twin.Twin.Version;

        var update = twin.Bulb(1, 9, power: false, brightnessPct: 10);

        Assert.Equal(IngestOutcome.Duplicate, update.Outcome);
        Assert.Empty(update.Changes);
        Assert.False(update.Save);
        Assert.Equal(version, twin.Twin.Version);
        Assert.Equal(new MessageOrder(1, 10), twin.Twin.LastState);
        SyncAssert.Property(twin, LightBulbModel.Power, "true", "true", SyncStatus.Applied);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "80", "80", SyncStatus.Applied);
    }

    [Fact]
    public void A_redelivered_state_is_a_duplicate_and_produces_no_changes()
    {
        var twin = TwinHarness.OnlineBulb();
        var first = twin.Bulb(1, 5, power: false);
        Assert.Contains(DeviceChanges.Reported, first.Changes);
        var reportedAt = twin.Property(LightBulbModel.Power).ReportedAt;
        twin.Time.Advance(TimeSpan.FromSeconds(5));

        var again = twin.Bulb(1, 5, power: false);

        Assert.Equal(IngestOutcome.Duplicate, again.Outcome);
        Assert.Empty(again.Changes);
        Assert.Empty(again.ToSend);
        Assert.False(again.Save);
        // Not even the time it was reported moves: the twin did not see anything new.
        Assert.Equal(reportedAt, twin.Property(LightBulbModel.Power).ReportedAt);
    }

    [Fact]
    public void A_state_equal_in_boot_and_seq_but_different_in_content_is_still_ignored()
    {
        // (boot, seq) identifies the message; a second payload under the same pair is a replay, not news.
        var twin = TwinHarness.OnlineBulb();

        var update = twin.Bulb(1, 2, power: false, brightnessPct: 5);

        Assert.Equal(IngestOutcome.Duplicate, update.Outcome);
        SyncAssert.Property(twin, LightBulbModel.Power, "true", "true", SyncStatus.Applied);
    }

    [Fact]
    public void A_state_of_a_newer_boot_is_applied_even_with_a_lower_seq()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Bulb(1, 500, power: true);

        var update = twin.Bulb(2, 1, power: false);

        Assert.Equal(IngestOutcome.Applied, update.Outcome);
        Assert.Contains(DeviceChanges.Reported, update.Changes);
        Assert.Equal(new MessageOrder(2, 1), twin.Twin.LastState);
        SyncAssert.Property(twin, LightBulbModel.Power, "false", "false", SyncStatus.Applied);

        // And the old boot's late messages stay out.
        Assert.Equal(IngestOutcome.Duplicate, twin.Bulb(1, 501, power: true).Outcome);
        SyncAssert.Property(twin, LightBulbModel.Power, "false", "false", SyncStatus.Applied);
    }

    [Fact]
    public void States_arriving_out_of_order_leave_the_newest_in_the_twin()
    {
        var twin = TwinHarness.OnlineBulb();

        twin.Bulb(1, 7, power: true, brightnessPct: 70);
        twin.Bulb(1, 5, power: true, brightnessPct: 50);
        twin.Bulb(1, 6, power: true, brightnessPct: 60);

        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "70", "70", SyncStatus.Applied);
    }

    [Fact]
    public void A_newer_state_that_reports_nothing_new_is_applied_without_an_event()
    {
        var twin = TwinHarness.OnlineBulb();
        var version = twin.Twin.Version;

        var update = twin.Bulb(1, 3, power: true);

        Assert.Equal(IngestOutcome.Applied, update.Outcome);
        Assert.Empty(update.Changes);
        // The order moved, so it is saved; a replay of seq 3 must now be told apart.
        Assert.True(update.Save);
        Assert.Equal(new MessageOrder(1, 3), twin.Twin.LastState);
        Assert.Equal(version, twin.Twin.Version);
    }

    [Fact]
    public void A_change_made_at_the_device_becomes_desired_when_nothing_is_in_flight()
    {
        var twin = TwinHarness.OnlineBulb();

        var update = twin.Bulb(1, 3, power: true, brightnessPct: 20, colorTempK: 6500);

        Assert.Equal([DeviceChanges.Desired, DeviceChanges.Reported], update.Changes);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "20", "20", SyncStatus.Applied);
        SyncAssert.Property(twin, LightBulbModel.ColorTempK, "6500", "6500", SyncStatus.Applied);
    }

    [Fact]
    public void A_change_made_at_the_device_does_not_overwrite_a_wish_in_flight()
    {
        var twin = TwinHarness.OnlineBulb();
        twin.Set("""{"brightnessPct":90}""");

        var update = twin.Bulb(1, 3, power: true, brightnessPct: 20);

        Assert.DoesNotContain(DeviceChanges.Desired, update.Changes);
        SyncAssert.Property(twin, LightBulbModel.BrightnessPct, "90", "20", SyncStatus.Pending);
    }

    [Fact]
    public void A_property_only_the_device_reports_has_no_desired_value()
    {
        var twin = TwinHarness.OnlineCooker();

        twin.Cooker(1, 3, heater: false, waterTempC: "22.5");

        SyncAssert.Property(twin, SousVideModel.WaterTempC, "null", "22.5", SyncStatus.Applied);
        SyncAssert.Property(twin, SousVideModel.TargetTempC, "60.0", "60.0", SyncStatus.Applied);
    }
}
