namespace DaprIoT.Statistics.Ownership;

/// <summary>Who owns a device, as of the device event with <see cref="Version"/> (state entry <c>owner-of-{deviceId}</c>).</summary>
public sealed record DeviceOwner(string Owner, string DeviceType, long Version);
