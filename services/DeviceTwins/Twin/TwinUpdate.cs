using DaprIoT.Contracts.Devices;

namespace DaprIoT.DeviceTwins.Twin;

/// <summary>
/// What one operation on a twin did, for the actor to carry out: the changes to announce (one event, one version),
/// the commands to send, and whether the state must be saved.
/// </summary>
public sealed class TwinUpdate
{
    /// <summary>The <see cref="Contracts.Events.DeviceChanges"/> names of what changed; empty means no event.</summary>
    public SortedSet<string> Changes { get; } = new(StringComparer.Ordinal);

    /// <summary>Commands to publish to the device now, in order.</summary>
    public List<CommandRecord> ToSend { get; } = [];

    /// <summary>The state changed (maybe only bookkeeping, such as a message order) and must be saved.</summary>
    public bool Save { get; set; }

    /// <summary>A presence change is held back by damping; announce it at this time if it still holds.</summary>
    public DateTimeOffset? AnnouncePresenceAt { get; set; }

    /// <summary>The device came online: its heartbeat watch starts.</summary>
    public bool WatchHeartbeat { get; set; }

    /// <summary>What became of the device message applied last (a turn may apply a state and its ack into one update).</summary>
    public IngestOutcome Outcome { get; set; } = IngestOutcome.Applied;
    public string? Reason { get; set; }

    public void Changed(string change)
    {
        Changes.Add(change);
        Save = true;
    }

    public TwinUpdate Ignore(string reason)
    {
        Outcome = IngestOutcome.Duplicate;
        Reason = reason;
        return this;
    }

    public TwinUpdate Reject(string reason)
    {
        Outcome = IngestOutcome.Rejected;
        Reason = reason;
        return this;
    }
}
