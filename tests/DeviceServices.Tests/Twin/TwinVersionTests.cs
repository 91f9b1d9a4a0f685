using DaprIoT.DeviceTwins.Twin;

namespace DaprIoT.DeviceServices.Tests.Twin;

/// <summary>Version grows once per operation that changed something, so readers can keep the newest snapshot.</summary>
public sealed class TwinVersionTests
{
    [Fact]
    public void Commit_increments_the_version_only_when_something_changed()
    {
        var twin = TwinHarness.ForBulb();

        twin.Run(update => twin.Engine.Provision("alice", "desk lamp", update));
        Assert.Equal(1, twin.Twin.Version);

        // One operation, several changes: one version.
        twin.Online(1, 1);
        twin.Bulb(1, 2, power: true);
        var (_, issued) = twin.Set("""{"brightnessPct":80,"power":false}""");
        Assert.True(issued.Changes.Count > 1);
        Assert.Equal(4, twin.Twin.Version);

        twin.Run(update => twin.Engine.Rename("desk lamp", update));
        twin.Bulb(1, 2, power: true);
        twin.Online(1, 1);
        twin.Heard(1, 3);
        twin.RetryDue();
        Assert.Equal(4, twin.Twin.Version);

        twin.Run(update => twin.Engine.Rename("reading lamp", update));
        Assert.Equal(5, twin.Twin.Version);
    }
}
