using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.Statistics.Rollups;

namespace DaprIoT.Statistics.Ownership;

/// <summary>
/// The read model behind the ownership checks: <c>owner-of-{deviceId}</c> → <see cref="DeviceOwner"/>, kept from
/// <c>device-events</c>. Events may arrive late or twice, so an entry only ever moves to a newer version.
/// </summary>
public sealed partial class OwnershipStore(DaprClient dapr, RollupStore rollups, ILogger<OwnershipStore> logger)
{
    private const int MaxAttempts = 10;

    private static readonly StateOptions Checked = new() { Concurrency = ConcurrencyMode.FirstWrite };

    public static string Key(string deviceId) => "owner-of-" + deviceId;

    /// <summary>The device's owner, or null for a device not (or no longer) known here.</summary>
    public Task<DeviceOwner?> FindAsync(string deviceId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<DeviceOwner?>(ComponentNames.StateStore, Key(deviceId), cancellationToken: cancellationToken);

    /// <summary>Applies one device event: a removal deletes the device's statistics and owner; any other event records its owner.</summary>
    public async Task ApplyAsync(DeviceEvent deviceEvent, CancellationToken cancellationToken)
    {
        if (deviceEvent.Changes.Contains(DeviceChanges.Removed))
        {
            // Statistics first: should deleting them fail, the event is delivered again and finds the owner entry still there.
            await rollups.DeleteAllAsync(deviceEvent.DeviceId, cancellationToken);
            await dapr.DeleteStateAsync(ComponentNames.StateStore, Key(deviceEvent.DeviceId), cancellationToken: cancellationToken);
            DeviceRemoved(logger, deviceEvent.DeviceId);
            return;
        }

        if (deviceEvent.Owner is not { Length: > 0 } owner) return;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (current, etag) = await dapr.GetStateAndETagAsync<DeviceOwner?>(ComponentNames.StateStore, Key(deviceEvent.DeviceId),
                cancellationToken: cancellationToken);
            if (current is not null && current.Version >= deviceEvent.Version) return;
            var updated = new DeviceOwner(owner, deviceEvent.DeviceType, deviceEvent.Version);
            if (await dapr.TrySaveStateAsync(ComponentNames.StateStore, Key(deviceEvent.DeviceId), updated, etag ?? "", Checked,
                    cancellationToken: cancellationToken))
            {
                return;
            }
        }

        throw new InvalidOperationException(
            $"The owner entry of device '{deviceEvent.DeviceId}' changed under {MaxAttempts} updates in a row; the event is delivered again.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} removed: its statistics and owner entry are deleted")]
    private static partial void DeviceRemoved(ILogger logger, string deviceId);
}
