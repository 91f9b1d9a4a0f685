using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;

namespace DaprIoT.DeviceManagement.ReadModel;

/// <summary>
/// The read model behind the device list and every ownership check, in the <c>statestore</c> component, kept from
/// <c>device-events</c>:
/// <list type="bullet">
/// <item><c>dm-device-{deviceId}</c>: the device's newest twin. It only moves to a newer version, since events arrive late
/// or twice. A removed device stays as its removal (not provisioned, for <see cref="TombstoneTtl"/>), so a late older
/// event cannot bring it back.</item>
/// <item><c>dm-user-{userId}</c>: the ids of the user's devices, so a list is one read plus one bulk read.</item>
/// <item><c>dm-timeline-{deviceId}</c>: the device's last <see cref="TimelineLength"/> changes.</item>
/// </list>
/// Every entry is changed by an ETag-checked read-modify-write, retried when another replica wrote it first.
/// </summary>
public sealed partial class DeviceStore(DaprClient dapr, ILogger<DeviceStore> logger)
{
    public const int TimelineLength = 100;

    /// <summary>How long a removed device's entry is kept: longer than any redelivery of its older events takes.</summary>
    public static readonly TimeSpan TombstoneTtl = TimeSpan.FromDays(7);

    private const int MaxAttempts = 10;

    private static readonly StateOptions Checked = new() { Concurrency = ConcurrencyMode.FirstWrite };

    public static string DeviceKey(string deviceId) => "dm-device-" + deviceId;

    public static string UserKey(string userId) => "dm-user-" + userId;

    public static string TimelineKey(string deviceId) => "dm-timeline-" + deviceId;

    /// <summary>The device's twin if <paramref name="userId"/> owns it; null for another user's device and an unknown one alike.</summary>
    public async Task<DeviceTwinView?> FindOwnedAsync(string userId, string deviceId, CancellationToken cancellationToken)
    {
        var twin = await dapr.GetStateAsync<DeviceTwinView?>(ComponentNames.StateStore, DeviceKey(deviceId), cancellationToken: cancellationToken);
        return twin is { Provisioned: true } && twin.Owner == userId ? twin : null;
    }

    /// <summary>The user's devices: one read of the index and one bulk read of the twins, never a call to an actor.</summary>
    public async Task<IReadOnlyList<DeviceTwinView>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        var index = await dapr.GetStateAsync<UserDevices?>(ComponentNames.StateStore, UserKey(userId), cancellationToken: cancellationToken);
        if (index is not { DeviceIds.Count: > 0 }) return [];
        var items = await dapr.GetBulkStateAsync<DeviceTwinView?>(ComponentNames.StateStore,
            [.. index.DeviceIds.Select(DeviceKey)], parallelism: null, cancellationToken: cancellationToken);
        // The index and the twins are separate entries: a twin that moved on (removed, another owner) is left out.
        return [.. items.Select(item => item.Value).OfType<DeviceTwinView>()
            .Where(twin => twin.Provisioned && twin.Owner == userId)
            .OrderBy(twin => twin.DeviceId, StringComparer.Ordinal)];
    }

    /// <summary>The device's newest changes, newest first.</summary>
    public async Task<IReadOnlyList<TimelineEntry>> TimelineAsync(string deviceId, int limit, CancellationToken cancellationToken)
    {
        var timeline = await dapr.GetStateAsync<DeviceTimeline?>(ComponentNames.StateStore, TimelineKey(deviceId), cancellationToken: cancellationToken);
        return [.. (timeline?.Events ?? []).Take(limit)];
    }

    /// <summary>
    /// Applies one device event to every entry it touches. Each step is idempotent, so a delivery that fails half-way
    /// and comes again leaves the same result.
    /// </summary>
    public async Task ApplyAsync(DeviceEvent deviceEvent, CancellationToken cancellationToken)
    {
        var removed = deviceEvent.Changes.Contains(DeviceChanges.Removed);
        var twin = removed ? deviceEvent.Twin with { Provisioned = false } : deviceEvent.Twin;
        var (current, replaced) = await StoreTwinAsync(twin, cancellationToken);
        if (removed)
        {
            if (deviceEvent.Owner is { Length: > 0 } formerOwner) await RemoveFromUserAsync(formerOwner, deviceEvent.DeviceId, cancellationToken);
            await dapr.DeleteStateAsync(ComponentNames.StateStore, TimelineKey(deviceEvent.DeviceId), cancellationToken: cancellationToken);
            return;
        }

        // An event older than a removal belongs to the removed device: its timeline is gone and stays gone.
        if (current is { Provisioned: false } && current.Version > deviceEvent.Version) return;
        await AppendTimelineAsync(deviceEvent, cancellationToken);
        // The owner's index changes only when the device gets its owner: on its provisioned event, or on the first event
        // stored for it should that one come late. Every other event would cost a read of the index for nothing.
        var ownerArrived = deviceEvent.Changes.Contains(DeviceChanges.Provisioned)
            || (current.Version == deviceEvent.Version && (replaced is not { Provisioned: true } || replaced.Owner != current.Owner));
        if (ownerArrived && current is { Provisioned: true, Owner: { Length: > 0 } owner })
            await AddToUserAsync(owner, deviceEvent.DeviceId, cancellationToken);
    }

    /// <summary>
    /// Keeps <paramref name="twin"/> unless a newer (or the same) version is stored already; returns the twin now stored.
    /// A removed twin is kept for <see cref="TombstoneTtl"/> only.
    /// </summary>
    public async Task<DeviceTwinView> SaveTwinAsync(DeviceTwinView twin, CancellationToken cancellationToken) =>
        (await StoreTwinAsync(twin, cancellationToken)).Stored;

    /// <summary>As <see cref="SaveTwinAsync"/>, with the twin <paramref name="twin"/> replaced when it was written.</summary>
    private async Task<(DeviceTwinView Stored, DeviceTwinView? Replaced)> StoreTwinAsync(DeviceTwinView twin, CancellationToken cancellationToken)
    {
        var key = DeviceKey(twin.DeviceId);
        IReadOnlyDictionary<string, string>? metadata = twin.Provisioned
            ? null
            : new Dictionary<string, string> { ["ttlInSeconds"] = ((int)TombstoneTtl.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (stored, etag) = await dapr.GetStateAndETagAsync<DeviceTwinView?>(ComponentNames.StateStore, key, cancellationToken: cancellationToken);
            if (stored is not null && stored.Version >= twin.Version) return (stored, null);
            if (await dapr.TrySaveStateAsync(ComponentNames.StateStore, key, twin, etag ?? "", Checked, metadata, cancellationToken)) return (twin, stored);
        }

        throw Contended(key);
    }

    /// <summary>Adds the device to the user's index (at once when a user adds a device, so it is listed before its event arrives).</summary>
    public Task AddToUserAsync(string userId, string deviceId, CancellationToken cancellationToken) =>
        UpdateAsync<UserDevices>(UserKey(userId), index =>
            index?.DeviceIds.Contains(deviceId) == true ? null : new UserDevices([.. index?.DeviceIds ?? [], deviceId]), cancellationToken);

    public Task RemoveFromUserAsync(string userId, string deviceId, CancellationToken cancellationToken) =>
        UpdateAsync<UserDevices>(UserKey(userId), index =>
            index?.DeviceIds.Contains(deviceId) == true ? new UserDevices([.. index.DeviceIds.Where(id => id != deviceId)]) : null, cancellationToken);

    /// <summary>Inserts the event in version order, once; the oldest fall off past <see cref="TimelineLength"/>.</summary>
    private Task AppendTimelineAsync(DeviceEvent deviceEvent, CancellationToken cancellationToken) =>
        UpdateAsync<DeviceTimeline>(TimelineKey(deviceEvent.DeviceId), timeline =>
        {
            var events = timeline?.Events ?? [];
            if (events.Any(e => e.Version == deviceEvent.Version)) return null;
            if (events.Count >= TimelineLength && events[^1].Version > deviceEvent.Version) return null;
            var entry = new TimelineEntry(deviceEvent.Version, deviceEvent.At, deviceEvent.Changes);
            return new DeviceTimeline([.. events.Append(entry).OrderByDescending(e => e.Version).Take(TimelineLength)]);
        }, cancellationToken);

    /// <summary>An ETag-checked read-modify-write; <paramref name="change"/> returns null when there is nothing to write.</summary>
    private async Task UpdateAsync<T>(string key, Func<T?, T?> change, CancellationToken cancellationToken) where T : class
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (stored, etag) = await dapr.GetStateAndETagAsync<T?>(ComponentNames.StateStore, key, cancellationToken: cancellationToken);
            if (change(stored) is not { } updated) return;
            if (await dapr.TrySaveStateAsync(ComponentNames.StateStore, key, updated, etag ?? "", Checked, cancellationToken: cancellationToken)) return;
            Contention(logger, key, attempt);
        }

        throw Contended(key);
    }

    private static InvalidOperationException Contended(string key) =>
        new($"State entry '{key}' changed under {MaxAttempts} updates in a row; the event is delivered again.");

    [LoggerMessage(Level = LogLevel.Debug, Message = "State entry {Key} was written by another replica first (attempt {Attempt}); reading it again")]
    private static partial void Contention(ILogger logger, string key, int attempt);
}
