using System.Collections.Concurrent;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Events;

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
/// Every entry is changed by an ETag-checked read-modify-write, retried when another replica wrote it first; events come
/// in batches, whose entries are read in bulk and written in one transaction (<see cref="ApplyAsync"/>).
/// </summary>
public sealed partial class DeviceStore(DaprClient dapr, ILogger<DeviceStore> logger)
{
    public const int TimelineLength = 100;

    /// <summary>How long a removed device's entry is kept: longer than any redelivery of its older events takes.</summary>
    public static readonly TimeSpan TombstoneTtl = TimeSpan.FromDays(7);

    /// <summary>Read-modify-writes of one entry, and of one device's entries, before giving up.</summary>
    private const int MaxAttempts = 10;

    /// <summary>Tries of a whole batch together before it goes device by device.</summary>
    private const int BatchAttempts = 3;

    /// <summary>Devices applied at once when a batch goes device by device.</summary>
    private const int DevicesAtOnce = 8;

    private static readonly IReadOnlyDictionary<string, string> TombstoneMetadata = new Dictionary<string, string>
    {
        ["ttlInSeconds"] = ((int)TombstoneTtl.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static readonly IReadOnlySet<string> NoDevices = new HashSet<string>();

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
    /// Applies a batch of device events to every entry they touch, in few sidecar calls whatever the batch's size: one bulk
    /// read of the devices' twins and timelines (and of the user indexes an owner may arrive in), a second one only for
    /// an index that turns out to be needed and was not read, and one transaction writing every changed entry, each
    /// checked against the ETag it was read with. When another replica wrote one of them first, the batch is read and
    /// applied again (<see cref="BatchAttempts"/> times); then device by device, so one contended device cannot hold up
    /// the rest. Returns the devices whose events could not be applied: their deliveries are to come again. Applying a
    /// batch again leaves the same result.
    /// </summary>
    public async Task<IReadOnlySet<string>> ApplyAsync(IReadOnlyList<DeviceEventJson> events, CancellationToken cancellationToken)
    {
        // Each device's events in version order, as if they had come in order (a retried delivery repeats a version).
        var devices = events.GroupBy(e => e.DeviceId, StringComparer.Ordinal).Select(g => g.OrderBy(e => e.Version).ToList()).ToList();
        if (devices.Count == 0) return NoDevices;
        if (devices.Count == 1) return await TryApplyOrLogAsync(devices, MaxAttempts, cancellationToken) ? NoDevices : new HashSet<string>([devices[0][0].DeviceId]);
        if (await TryApplyOrLogAsync(devices, BatchAttempts, cancellationToken)) return NoDevices;

        var notApplied = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(devices, new ParallelOptions { MaxDegreeOfParallelism = DevicesAtOnce, CancellationToken = cancellationToken },
            async (device, ct) =>
            {
                if (!await TryApplyOrLogAsync([device], MaxAttempts, ct)) notApplied.Add(device[0].DeviceId);
            });
        return notApplied.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>As <see cref="TryApplyAsync"/>; a failing store or an unreadable entry is logged and counts as not applied.</summary>
    private async Task<bool> TryApplyOrLogAsync(IReadOnlyList<List<DeviceEventJson>> devices, int attempts, CancellationToken cancellationToken)
    {
        try
        {
            if (await TryApplyAsync(devices, attempts, cancellationToken)) return true;
            Contended(logger, devices.Count, devices[0][0].DeviceId, attempts);
        }
        catch (Exception error) when (error is DaprException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            NotApplied(logger, devices.Count, devices[0][0].DeviceId, error);
        }

        return false;
    }

    /// <summary>Reads the devices' entries, applies their events in memory and writes the result in one transaction; false when every attempt lost to another writer.</summary>
    private async Task<bool> TryApplyAsync(IReadOnlyList<List<DeviceEventJson>> devices, int attempts, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var batch = new StateBatch(dapr, ComponentNames.StateStore);
            // The index of an owner arriving with a provisioned event, or left by a removal, is as good as certain to be
            // needed: read with the rest rather than after.
            var likelyOwners = devices.SelectMany(device => device)
                .Where(e => e.Changes.Contains(DeviceChanges.Provisioned) || e.Changes.Contains(DeviceChanges.Removed))
                .SelectMany(e => new[] { e.Owner, e.Twin.Owner }).OfType<string>().Where(owner => owner.Length > 0);
            await batch.ReadAsync(devices.SelectMany(device => new[] { DeviceKey(device[0].DeviceId), TimelineKey(device[0].DeviceId) })
                .Concat(likelyOwners.Select(UserKey)), cancellationToken);

            var indexChanges = new List<IndexChange>();
            foreach (var device in devices) Apply(batch, device, indexChanges);
            await batch.ReadAsync(indexChanges.Select(change => change.UserKey), cancellationToken);
            foreach (var change in indexChanges)
                batch.Update<UserDevices>(change.UserKey, index => change.Add ? WithDevice(index, change.DeviceId) : WithoutDevice(index, change.DeviceId));

            if (await batch.TryCommitAsync(cancellationToken)) return true;
            BatchContention(logger, devices.Count, attempt);
        }

        return false;
    }

    /// <summary>A change of a user's index that applying an event calls for, made once the indexes are read.</summary>
    private sealed record IndexChange(string UserKey, string DeviceId, bool Add);

    /// <summary>
    /// Applies one device's events, in version order, to the batch's twin and timeline of the device, and notes the index
    /// changes they call for. Of the stored twin only its head is read; the newest twin is written as the event carries it.
    /// </summary>
    private static void Apply(StateBatch batch, IReadOnlyList<DeviceEventJson> events, List<IndexChange> indexChanges)
    {
        var deviceId = events[0].DeviceId;
        var twinKey = DeviceKey(deviceId);
        var current = batch.Get<TwinHead>(twinKey);
        DeviceEventJson? newest = null;
        foreach (var deviceEvent in events)
        {
            var twin = deviceEvent.Removed ? deviceEvent.Twin with { Provisioned = false } : deviceEvent.Twin;
            TwinHead? replaced = null;
            if (current is null || current.Version < twin.Version) (current, replaced, newest) = (twin, current, deviceEvent);

            if (deviceEvent.Removed)
            {
                if (deviceEvent.Owner is { Length: > 0 } formerOwner) indexChanges.Add(new IndexChange(UserKey(formerOwner), deviceId, Add: false));
                batch.Delete(TimelineKey(deviceId));
                continue;
            }

            // An event older than a removal belongs to the removed device: its timeline is gone and stays gone.
            if (current is { Provisioned: false } && current.Version > deviceEvent.Version) continue;
            if (TimelineJson.WithChange(batch.GetJson(TimelineKey(deviceId)), deviceEvent, TimelineLength) is { } timeline)
                batch.SetJson(TimelineKey(deviceId), timeline);
            // The owner's index changes only when the device gets its owner: on its provisioned event, or on the first
            // event stored for it should that one come late. Every other event would cost a read of the index for nothing.
            var ownerArrived = deviceEvent.Changes.Contains(DeviceChanges.Provisioned)
                || (current.Version == deviceEvent.Version && (replaced is not { Provisioned: true } || replaced.Owner != current.Owner));
            if (ownerArrived && current is { Provisioned: true, Owner: { Length: > 0 } owner })
                indexChanges.Add(new IndexChange(UserKey(owner), deviceId, Add: true));
        }

        if (newest is null) return;
        if (newest.Removed) batch.Set(twinKey, newest.ReadTwin() with { Provisioned = false }, TombstoneMetadata);
        else batch.SetJson(twinKey, newest.TwinJson.ToArray(), newest.Twin.Provisioned ? null : TombstoneMetadata);
    }

    /// <summary>
    /// Keeps <paramref name="twin"/> unless a newer (or the same) version is stored already; returns the twin now stored.
    /// A removed twin is kept for <see cref="TombstoneTtl"/> only.
    /// </summary>
    public async Task<DeviceTwinView> SaveTwinAsync(DeviceTwinView twin, CancellationToken cancellationToken)
    {
        var key = DeviceKey(twin.DeviceId);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (stored, etag) = await dapr.GetStateAndETagAsync<DeviceTwinView?>(ComponentNames.StateStore, key, cancellationToken: cancellationToken);
            if (stored is not null && stored.Version >= twin.Version) return stored;
            if (await dapr.TrySaveStateAsync(ComponentNames.StateStore, key, twin, etag ?? "", Checked, MetadataFor(twin), cancellationToken)) return twin;
            Contention(logger, key, attempt);
        }

        throw Contended(key);
    }

    /// <summary>A twin that is not provisioned (a removal) expires after <see cref="TombstoneTtl"/>; per write, in a transaction too.</summary>
    private static IReadOnlyDictionary<string, string>? MetadataFor(DeviceTwinView twin) => twin.Provisioned ? null : TombstoneMetadata;

    /// <summary>Adds the device to the user's index (at once when a user adds a device, so it is listed before its event arrives).</summary>
    public Task AddToUserAsync(string userId, string deviceId, CancellationToken cancellationToken) =>
        UpdateAsync<UserDevices>(UserKey(userId), index => WithDevice(index, deviceId), cancellationToken);

    public Task RemoveFromUserAsync(string userId, string deviceId, CancellationToken cancellationToken) =>
        UpdateAsync<UserDevices>(UserKey(userId), index => WithoutDevice(index, deviceId), cancellationToken);

    /// <summary>The index with the device added; null when it lists it already.</summary>
    private static UserDevices? WithDevice(UserDevices? index, string deviceId) =>
        index?.DeviceIds.Contains(deviceId) == true ? null : new UserDevices([.. index?.DeviceIds ?? [], deviceId]);

    /// <summary>The index without the device; null when it does not list it.</summary>
    private static UserDevices? WithoutDevice(UserDevices? index, string deviceId) =>
        index?.DeviceIds.Contains(deviceId) == true ? new UserDevices([.. index.DeviceIds.Where(id => id != deviceId)]) : null;

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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Entries of a batch of {Devices} devices were written by another replica first (attempt {Attempt}); reading them again")]
    private static partial void BatchContention(ILogger logger, int devices, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Entries of {Devices} devices (device {DeviceId} first) changed under {Attempts} tries in a row")]
    private static partial void Contended(ILogger logger, int devices, string deviceId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Events of {Devices} devices (device {DeviceId} first) not applied to the read model")]
    private static partial void NotApplied(ILogger logger, int devices, string deviceId, Exception error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "State entry {Key} was written by another replica first (attempt {Attempt}); reading it again")]
    private static partial void Contention(ILogger logger, string key, int attempt);
}
