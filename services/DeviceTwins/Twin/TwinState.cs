using System.Text.Json;
using DaprIoT.Contracts.Devices;

namespace DaprIoT.DeviceTwins.Twin;

/// <summary>
/// Everything a device actor keeps, saved as one actor state entry and read back on every activation. Only the
/// actor writes it; <see cref="TwinEngine"/> holds the rules that change it.
/// </summary>
public sealed class TwinState
{
    public bool Provisioned { get; set; }
    public string? Owner { get; set; }
    public string? Name { get; set; }

    /// <summary>Grows with every change; events and snapshots carry it so readers keep the newest.</summary>
    public long Version { get; set; }

    /// <summary>The newest <c>state</c> message applied; an older or equal one is a duplicate.</summary>
    public MessageOrder? LastState { get; set; }

    /// <summary>The newest <c>presence</c> message applied (the last will, <c>seq</c> 0, is ordered by arrival).</summary>
    public MessageOrder? LastPresence { get; set; }

    public PresenceRecord Presence { get; set; } = new();

    public Dictionary<string, PropertyRecord> Properties { get; set; } = [];

    /// <summary>Commands in flight, then the most recent finished ones (at most <see cref="TwinOptions.FinishedCommandsKept"/>).</summary>
    public List<CommandRecord> Commands { get; set; } = [];

    /// <summary>When the command reminder is due, so it is registered again only when a command is due sooner.</summary>
    public DateTimeOffset? CommandReminderAt { get; set; }

    public ProgramRecord? Program { get; set; }
}

/// <summary>A device message's place in the device's sequence: <c>boot</c> first, then <c>seq</c>.</summary>
public readonly record struct MessageOrder(uint Boot, uint Seq) : IComparable<MessageOrder>
{
    public int CompareTo(MessageOrder other) => Boot != other.Boot ? Boot.CompareTo(other.Boot) : Seq.CompareTo(other.Seq);

    public static bool operator >(MessageOrder a, MessageOrder b) => a.CompareTo(b) > 0;
    public static bool operator <(MessageOrder a, MessageOrder b) => a.CompareTo(b) < 0;
    public static bool operator >=(MessageOrder a, MessageOrder b) => a.CompareTo(b) >= 0;
    public static bool operator <=(MessageOrder a, MessageOrder b) => a.CompareTo(b) <= 0;
}

public sealed class PropertyRecord
{
    public JsonElement? Desired { get; set; }
    public JsonElement? Reported { get; set; }
    public SyncStatus Status { get; set; } = SyncStatus.Applied;

    /// <summary>The command carrying <see cref="Desired"/> to the device, while it is in flight.</summary>
    public string? CommandId { get; set; }

    public DateTimeOffset? ReportedAt { get; set; }
}

public sealed class PresenceRecord
{
    public PresenceState Status { get; set; } = PresenceState.Unknown;

    /// <summary>Counts the device's connections; a new <c>online</c> starts the next.</summary>
    public long Epoch { get; set; }

    /// <summary>The boot of the connection <see cref="Epoch"/> counts, to tell an old connection's last will.</summary>
    public uint EpochBoot { get; set; }

    /// <summary>When the platform received the <c>online</c> that started <see cref="Epoch"/>.</summary>
    public DateTimeOffset? EpochStartedAt { get; set; }

    public DateTimeOffset? Since { get; set; }
    public DateTimeOffset? LastSeen { get; set; }
    public int? HeartbeatS { get; set; }
    public string? Firmware { get; set; }
    public string? Reason { get; set; }

    /// <summary>The status the last event told; flapping within the damping window is told once it settles.</summary>
    public PresenceState AnnouncedStatus { get; set; } = PresenceState.Unknown;
    public DateTimeOffset? AnnouncedAt { get; set; }
}

public sealed class CommandRecord
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public Dictionary<string, JsonElement> Values { get; set; } = [];
    public CommandStatus Status { get; set; } = CommandStatus.Pending;

    /// <summary>Sends so far; 0 while the command waits for the device to come online.</summary>
    public int Attempts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When to send again if no ack has come; null when not sent (device away) or finished.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The ack's place in the device's sequence: the first state after it shows whether the command took.</summary>
    public MessageOrder? AckedAt { get; set; }

    /// <summary>Turns something off: retried until taken, never failed.</summary>
    public bool TurnsOff { get; set; }

    public string? Error { get; set; }

    public bool InFlight => Status is CommandStatus.Pending or CommandStatus.Received;
}

public sealed class ProgramRecord
{
    public required string CommandId { get; set; }
    public decimal TargetTempC { get; set; }
    public int DurationS { get; set; }
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>When the platform ends the program should the cooker not report it done; moves as the cooker reports progress.</summary>
    public DateTimeOffset EndsAt { get; set; }

    public string? Phase { get; set; }
    public int? ElapsedS { get; set; }
    public ProgramStatus Status { get; set; } = ProgramStatus.Running;
    public string? EndedBy { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
}
