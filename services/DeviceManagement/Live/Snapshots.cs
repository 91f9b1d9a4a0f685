using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.DeviceManagement.Events;
using DaprIoT.DeviceManagement.ReadModel;

namespace DaprIoT.DeviceManagement.Live;

/// <summary>A user's devices as a hub connection starts from them, and the version of every device it has seen (removed ones too).</summary>
public sealed record Snapshot(DeviceList List, IReadOnlyDictionary<string, long> Versions);

/// <summary>Builds snapshots: the read model's list, brought up to date with the changes this replica heard meanwhile.</summary>
public sealed class Snapshots(DeviceStore store, RecentChanges recent)
{
    public async Task<Snapshot> OfAsync(string userId, CancellationToken cancellationToken)
    {
        var twins = (await store.ListAsync(userId, cancellationToken)).ToDictionary(twin => twin.DeviceId, StringComparer.Ordinal);
        var versions = twins.Values.ToDictionary(twin => twin.DeviceId, twin => twin.Version, StringComparer.Ordinal);
        foreach (var change in recent.Of(userId))
        {
            if (versions.TryGetValue(change.DeviceId, out var version) && version >= change.Version) continue;
            versions[change.DeviceId] = change.Version;
            if (change.Gone) twins.Remove(change.DeviceId);
            else twins[change.DeviceId] = change.ReadTwin();
        }

        IReadOnlyList<DeviceTwinView> devices = [.. twins.Values.OrderBy(twin => twin.DeviceId, StringComparer.Ordinal)];
        return new Snapshot(new DeviceList(devices), versions);
    }
}
