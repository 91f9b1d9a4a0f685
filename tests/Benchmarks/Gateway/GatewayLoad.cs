using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;

namespace DaprIoT.Benchmarks.Gateway;

/// <summary>
/// The gateway alone: device events, as a device actor would publish them after a reported change, bulk-published
/// onto <c>device-events</c> from the benchmark's own sidecar, so the path measured is bus → device-management
/// (broadcast subscription, coalescer, the owner's connections) → browser. Devices <c>gw-0…</c> are owned by users
/// <c>0…</c> in turn; each event carries the device's next version, which is what its receipt is matched by.
/// </summary>
public sealed class GatewayLoad(DaprClient publisher, int devices, int users)
{
    public const string Prefix = "gw-";

    private readonly long[] _versions = new long[devices];
    private readonly string[] _ids = [.. Enumerable.Range(0, devices).Select(i => Prefix + i.ToString("D5", CultureInfo.InvariantCulture))];
    private int _next;
    private long _failedBatches;
    private string? _firstError;

    public IReadOnlyDictionary<string, int> DeviceIndex => _ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);

    public long FailedBatches => Interlocked.Read(ref _failedBatches);

    public string? FirstError => _firstError;

    public static long? ValueOf(DeviceEvent change) => change.DeviceId.StartsWith(Prefix, StringComparison.Ordinal) ? change.Version : null;

    public Task<double> RunAsync(int rate, TimeSpan duration, Deliveries? deliveries, CancellationToken ct) =>
        OpenLoop.RunAsync(rate, duration, count => PublishAsync(count, deliveries, ct), ct);

    /// <summary>
    /// Events per bulk publish at most: a tick that fell behind carries more events than the sidecar accepts in one
    /// request (4 MB, as daprd's default), so it publishes them in calls of this many.
    /// </summary>
    private const int MaxEventsPerCall = 500;

    private async Task PublishAsync(int count, Deliveries? deliveries, CancellationToken ct)
    {
        for (var sent = 0; sent < count; sent += MaxEventsPerCall) await PublishCallAsync(Math.Min(MaxEventsPerCall, count - sent), deliveries, ct);
    }

    private async Task PublishCallAsync(int count, Deliveries? deliveries, CancellationToken ct)
    {
        var batch = new List<DeviceEvent>(count);
        var indexes = new int[count];
        for (var n = 0; n < count; n++)
        {
            var i = _next;
            _next = (_next + 1) % _ids.Length;
            indexes[n] = i;
            batch.Add(Event(i, ++_versions[i]));
        }

        var at = Stopwatch.GetTimestamp();
        if (deliveries is not null)
            for (var n = 0; n < count; n++) deliveries.Publishing(indexes[n], batch[n].Version, at);
        try
        {
            var response = await publisher.BulkPublishEventAsync(ComponentNames.PubSub, Topics.DeviceEvents, batch, cancellationToken: ct);
            if (response.FailedEntries.Count > 0) throw new InvalidOperationException($"{response.FailedEntries.Count} entries failed: {response.FailedEntries[0].ErrorMessage}");
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failedBatches);
            _firstError ??= e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
            if (deliveries is not null)
                for (var n = 0; n < count; n++) deliveries.Failed(indexes[n], batch[n].Version);
        }
    }

    /// <summary>A light bulb's event after it reported a new brightness, with the whole twin as the actor sends it.</summary>
    private DeviceEvent Event(int i, long version)
    {
        var now = DateTimeOffset.UtcNow;
        var owner = Browsers.UserId(i % users);
        var properties = new Dictionary<string, PropertyView>
        {
            ["power"] = new(JsonSerializer.SerializeToElement(true), JsonSerializer.SerializeToElement(true), SyncStatus.Applied, null, now),
            ["brightnessPct"] = new(null, JsonSerializer.SerializeToElement((int)(version % 101)), SyncStatus.Applied, null, now),
            ["colorTempK"] = new(null, JsonSerializer.SerializeToElement(4000), SyncStatus.Applied, null, now),
        };
        var twin = new DeviceTwinView(_ids[i], "lightbulb", true, owner, $"bench bulb {i}", version,
            new PresenceView(PresenceState.Online, 1, now, now, 20, "bench", null), properties, [], null);
        return new DeviceEvent(_ids[i], "lightbulb", owner, version, now, [DeviceChanges.Reported], twin);
    }
}
