using DaprIoT.Contracts.Devices;

namespace DaprIoT.Contracts.Events;

/// <summary>
/// Published on <see cref="Topics.DeviceEvents"/> after every change of a twin. <see cref="Changes"/> names what
/// changed; <see cref="Twin"/> is the whole twin after it, so a consumer never needs to ask the actor. Events of one
/// device carry growing versions; a consumer keeps the newest and drops the rest (a retried delivery repeats a
/// version).
/// </summary>
public sealed record DeviceEvent(
    string DeviceId,
    string DeviceType,
    string? Owner,
    long Version,
    DateTimeOffset At,
    IReadOnlyList<string> Changes,
    DeviceTwinView Twin);

/// <summary>The names in <see cref="DeviceEvent.Changes"/>.</summary>
public static class DeviceChanges
{
    public const string Provisioned = "provisioned";
    public const string Removed = "removed";
    public const string Renamed = "renamed";
    public const string Reported = "reported";
    public const string Desired = "desired";
    public const string Presence = "presence";
    public const string Command = "command";
    public const string Program = "program";
}
