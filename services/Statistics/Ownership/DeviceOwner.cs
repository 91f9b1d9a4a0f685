namespace DaprIoT.Statistics.Ownership;

/// <summary>
/// Who owns a device, as of the device event with <see cref="Version"/> (state entry <c>owner-of-{deviceId}</c>). When
/// <see cref="Removed"/>, the entry is the device's tombstone: the removal at that version, remembered so that late
/// telemetry and late older events cannot bring the device's statistics back (<see cref="OwnershipStore"/>).
/// </summary>
public sealed record DeviceOwner(string Owner, string DeviceType, long Version, bool Removed = false);
