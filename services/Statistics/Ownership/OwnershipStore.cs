using System.Globalization;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.Statistics.Rollups;

namespace DaprIoT.Statistics.Ownership;

/// <summary>
/// The read model behind the ownership checks: <c>owner-of-{deviceId}</c> → <see cref="DeviceOwner"/>, kept from
/// <c>device-events</c>. Events may arrive late or twice, so an entry only ever moves to a newer version.
/// <para>
/// A removal leaves a tombstone rather than deleting the entry: a removed device's version is kept (the device actor
/// continues it when the id is provisioned again), so an event older than the removal is recognised as such instead of
/// re-creating the owner, and telemetry still on its way is refused instead of re-creating the roll-ups the removal
/// deleted. The tombstone lives as long as a roll-up could (<see cref="RollupPlan.HourEntryTtl"/>): a reading older
/// than that is past every retention anyway, and a removed device can send none (its broker login is gone and
/// ingestion refuses devices that are not provisioned).
/// </para>
/// </summary>
public sealed partial class OwnershipStore(DaprClient dapr, RollupStore rollups, ILogger<OwnershipStore> logger)
{
    private const int MaxAttempts = 10;

    private static readonly StateOptions Checked = new() { Concurrency = ConcurrencyMode.FirstWrite };

    private static readonly Dictionary<string, string> TombstoneTtl = new()
    {
        ["ttlInSeconds"] = ((long)RollupPlan.HourEntryTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture),
    };

    // -1: no expiry, also removing a tombstone's when the device is provisioned again (no TTL would keep it).
    private static readonly Dictionary<string, string> NoTtl = new() { ["ttlInSeconds"] = "-1" };

    public static string Key(string deviceId) => "owner-of-" + deviceId;

    /// <summary>The device's owner, or null for a device not (or no longer) known here.</summary>
    public async Task<DeviceOwner?> FindAsync(string deviceId, CancellationToken cancellationToken) =>
        await dapr.GetStateAsync<DeviceOwner?>(ComponentNames.StateStore, Key(deviceId), cancellationToken: cancellationToken)
            is { Removed: false } owner ? owner : null;

    /// <summary>The entries of several devices in one call, tombstones included; null for a device never heard of.</summary>
    public async Task<IReadOnlyDictionary<string, DeviceOwner?>> ReadAllAsync(IReadOnlyCollection<string> deviceIds,
        CancellationToken cancellationToken)
    {
        if (deviceIds.Count == 0) return new Dictionary<string, DeviceOwner?>(StringComparer.Ordinal);
        var items = await dapr.GetBulkStateAsync<DeviceOwner?>(ComponentNames.StateStore, [.. deviceIds.Select(Key)], parallelism: 8,
            cancellationToken: cancellationToken);
        var byKey = items.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);
        return deviceIds.ToDictionary(id => id, id => byKey.GetValueOrDefault(Key(id)), StringComparer.Ordinal);
    }

    /// <summary>
    /// Applies one device event: a removal leaves a tombstone and deletes the device's statistics; any other event
    /// records its owner. False when the device was removed at this event's version or later, so the event must not
    /// leave data of its own either (a late program event of a removed cooker).
    /// </summary>
    public async Task<bool> ApplyAsync(DeviceEvent deviceEvent, CancellationToken cancellationToken)
    {
        var removal = deviceEvent.Changes.Contains(DeviceChanges.Removed);
        if (!removal && deviceEvent.Owner is not { Length: > 0 }) return true;

        var key = Key(deviceEvent.DeviceId);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (current, etag) = await dapr.GetStateAndETagAsync<DeviceOwner?>(ComponentNames.StateStore, key,
                cancellationToken: cancellationToken);
            if (removal)
            {
                // A removal older than the entry belongs to an earlier life of the id: the device is provisioned again.
                if (current is not null && current.Version > deviceEvent.Version) return false;
                // The tombstone first, the deletion after: telemetry checked against the entry before the tombstone
                // and written after the deletion looks again once written, finds the tombstone and deletes what it
                // wrote (SubscriptionsApi). A redelivered removal finds its tombstone and deletes again, harmlessly.
                if (current is not { Removed: true } || current.Version != deviceEvent.Version)
                {
                    var tombstone = new DeviceOwner(current?.Owner ?? deviceEvent.Owner ?? "", deviceEvent.DeviceType, deviceEvent.Version, Removed: true);
                    if (!await dapr.TrySaveStateAsync(ComponentNames.StateStore, key, tombstone, etag ?? "", Checked, TombstoneTtl,
                            cancellationToken))
                    {
                        continue;
                    }
                }

                await rollups.DeleteAllAsync(deviceEvent.DeviceId, cancellationToken);
                DeviceRemoved(logger, deviceEvent.DeviceId, deviceEvent.Version);
                return false;
            }

            if (current is not null && current.Version >= deviceEvent.Version) return !current.Removed;
            var updated = new DeviceOwner(deviceEvent.Owner!, deviceEvent.DeviceType, deviceEvent.Version);
            if (await dapr.TrySaveStateAsync(ComponentNames.StateStore, key, updated, etag ?? "", Checked, NoTtl, cancellationToken))
            {
                return true;
            }
        }

        throw new InvalidOperationException(
            $"The owner entry of device '{deviceEvent.DeviceId}' changed under {MaxAttempts} updates in a row; the event is delivered again.");
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Device {DeviceId} removed (version {Version}): its statistics are deleted, its owner entry is a tombstone")]
    private static partial void DeviceRemoved(ILogger logger, string deviceId, long version);
}
