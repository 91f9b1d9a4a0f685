namespace DaprIoT.DeviceTwins.Twin;

/// <summary>The timing rules of every twin; configuration section <c>Twins</c>.</summary>
public sealed class TwinOptions
{
    /// <summary>The first re-send of an unacknowledged command waits this long; each next one twice as long.</summary>
    public TimeSpan CommandRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait between re-sends.</summary>
    public TimeSpan CommandRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Sends of a command before it is marked failed (commands that turn something off never are).</summary>
    public int CommandMaxAttempts { get; set; } = 5;

    /// <summary>Finished commands kept in the twin for people to see, beside those in flight.</summary>
    public int FinishedCommandsKept { get; set; } = 10;

    /// <summary>A device is offline after this many heartbeat periods of silence.</summary>
    public int MissedHeartbeats { get; set; } = 3;

    /// <summary>Heartbeat period assumed until a device announces its own.</summary>
    public int DefaultHeartbeatS { get; set; } = 30;

    /// <summary>
    /// A last will of the current boot that arrives this soon after an <c>online</c> is the old connection's, sent
    /// by the broker when the new connection took over its client id: it does not end the new connection.
    /// </summary>
    public TimeSpan TakeoverGrace { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>At most one presence event per device in this window; a device that flaps is told once it settles.</summary>
    public TimeSpan PresenceDamping { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time a cooker may take to reach its target before the platform would end the program for it.</summary>
    public TimeSpan PreheatAllowance { get; set; } = TimeSpan.FromMinutes(60);
}
