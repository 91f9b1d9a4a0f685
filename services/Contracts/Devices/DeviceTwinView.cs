using System.Text.Json;

namespace DaprIoT.Contracts.Devices;

/// <summary>
/// A device's twin as its actor shows it. <see cref="Version"/> grows with every change, so a reader can order
/// snapshots and events and drop older ones.
/// </summary>
public sealed record DeviceTwinView(
    string DeviceId,
    string DeviceType,
    bool Provisioned,
    string? Owner,
    string? Name,
    long Version,
    PresenceView Presence,
    IReadOnlyDictionary<string, PropertyView> Properties,
    IReadOnlyList<CommandView> Commands,
    ProgramView? Program);

/// <summary>Is a property's desired value in effect on the device?</summary>
public enum SyncStatus
{
    /// <summary>A desired value is on its way (or waits for the device to come back online).</summary>
    Pending,
    /// <summary>The device reports the desired value.</summary>
    Applied,
    /// <summary>The device refused the command that carried the desired value.</summary>
    Rejected,
    /// <summary>Desired and reported differ and nothing is reconciling them: the command failed, or the device is away.</summary>
    Stale,
}

/// <summary>One property: what the user asked for, what the device last reported, and whether they agree.</summary>
public sealed record PropertyView(JsonElement? Desired, JsonElement? Reported, SyncStatus Status, string? CommandId, DateTimeOffset? ReportedAt);

public enum PresenceState { Unknown, Online, Offline }

/// <summary>
/// Whether the device is connected. <see cref="Epoch"/> counts its connections: a late <c>offline</c> from an
/// older connection does not end a newer one.
/// </summary>
public sealed record PresenceView(PresenceState Status, long Epoch, DateTimeOffset? Since, DateTimeOffset? LastSeen, int? HeartbeatS, string? Firmware, string? Reason);

/// <summary>Where a command is: pending (sent, no answer yet) → received (acknowledged) → applied, or rejected / failed / superseded.</summary>
public enum CommandStatus { Pending, Received, Applied, Rejected, Failed, Superseded }

/// <summary>A command and its progress.</summary>
public sealed record CommandView(
    string Id,
    string Name,
    IReadOnlyDictionary<string, JsonElement> Values,
    CommandStatus Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Error);

public enum ProgramStatus { Running, Completed, Stopped }

/// <summary>
/// A sous-vide cooking program. <see cref="Phase"/> and <see cref="ElapsedS"/> are as the cooker last reported;
/// <see cref="EndsAt"/> is when the platform ends it should the cooker not.
/// </summary>
public sealed record ProgramView(
    string CommandId,
    decimal TargetTempC,
    int DurationS,
    DateTimeOffset StartedAt,
    DateTimeOffset EndsAt,
    string? Phase,
    int? ElapsedS,
    ProgramStatus Status,
    string? EndedBy,
    DateTimeOffset? EndedAt);
