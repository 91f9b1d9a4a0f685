namespace DaprIoT.DeviceManagement.ReadModel;

/// <summary>One change of a device, as its timeline keeps it.</summary>
public sealed record TimelineEntry(long Version, DateTimeOffset At, IReadOnlyList<string> Changes);

/// <summary>State entry <c>dm-timeline-{deviceId}</c>: the device's newest changes, newest first.</summary>
public sealed record DeviceTimeline(IReadOnlyList<TimelineEntry> Events);

/// <summary>State entry <c>dm-user-{userId}</c>: the ids of the user's devices.</summary>
public sealed record UserDevices(IReadOnlyList<string> DeviceIds);
