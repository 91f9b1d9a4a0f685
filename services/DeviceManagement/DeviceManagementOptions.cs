namespace DaprIoT.DeviceManagement;

/// <summary>Settings of section <c>DeviceManagement</c> (e.g. <c>DeviceManagement__MqttHost</c> in the environment).</summary>
public sealed class DeviceManagementOptions
{
    public const string Section = "DeviceManagement";

    /// <summary>The broker address a new device is told to connect to (what devices can reach, not the platform's own view).</summary>
    public string MqttHost { get; set; } = "127.0.0.1";

    public int MqttPort { get; set; } = 1883;

    /// <summary>
    /// A device's changes reach browsers at most once per window: the first at once, later ones in the window as the
    /// latest of them when it ends.
    /// </summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Changes being pushed to browsers at a time; more wait, merged per device (see <see cref="Live.ChangeCoalescer"/>).</summary>
    public int MaxConcurrentPushes { get; set; } = Live.ChangeCoalescer.DefaultMaxSends;

    /// <summary>
    /// How long a replica remembers the changes it heard on the broadcast subscription, to add them to snapshots: the
    /// read model is written by another subscription and may be that far behind.
    /// </summary>
    public TimeSpan RecentChangesKept { get; set; } = TimeSpan.FromSeconds(60);
}
