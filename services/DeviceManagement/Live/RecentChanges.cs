using DaprIoT.DeviceManagement.Events;
using Microsoft.Extensions.Options;

namespace DaprIoT.DeviceManagement.Live;

/// <summary>
/// The newest change of each device this replica heard on the broadcast subscription in the last
/// <see cref="DeviceManagementOptions.RecentChangesKept"/>, by owner. A snapshot is the read model plus these: the read
/// model is written through another subscription and may not have a change yet that was already pushed to
/// browsers, and a browser connecting in between must not miss it.
/// </summary>
public sealed class RecentChanges(TimeProvider time, IOptions<DeviceManagementOptions> options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, (DeviceEventJson Change, DateTimeOffset HeardAt)>> _byOwner = new(StringComparer.Ordinal);
    private DateTimeOffset _pruned = DateTimeOffset.MinValue;

    private TimeSpan Kept => options.Value.RecentChangesKept;

    public void Record(DeviceEventJson change)
    {
        if (change.Owner is not { Length: > 0 } owner) return;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (now - _pruned > Kept) Prune(now);
            if (!_byOwner.TryGetValue(owner, out var devices)) _byOwner[owner] = devices = new(StringComparer.Ordinal);
            if (!devices.TryGetValue(change.DeviceId, out var known) || known.Change.Version < change.Version)
                devices[change.DeviceId] = (change, now);
        }
    }

    /// <summary>The owner's devices' newest changes still kept.</summary>
    public IReadOnlyList<DeviceEventJson> Of(string owner)
    {
        var since = time.GetUtcNow() - Kept;
        lock (_lock)
        {
            return _byOwner.TryGetValue(owner, out var devices)
                ? [.. devices.Values.Where(d => d.HeardAt >= since).Select(d => d.Change)]
                : [];
        }
    }

    private void Prune(DateTimeOffset now)
    {
        _pruned = now;
        foreach (var (owner, devices) in _byOwner.ToList())
        {
            foreach (var (deviceId, heard) in devices.ToList())
                if (now - heard.HeardAt > Kept) devices.Remove(deviceId);
            if (devices.Count == 0) _byOwner.Remove(owner);
        }
    }
}
