using System.Collections.Concurrent;
using Dapr.Actors;
using Dapr.Actors.Client;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceTwins.Model;
using Microsoft.Extensions.Options;

namespace DaprIoT.DeviceTwins.Ingestion;

/// <summary>
/// Telemetry does not go through the device's actor, yet it is the device's heartbeat and must come from a
/// provisioned device. The gate tells the actor at most once per <see cref="IngestionOptions.HeartbeatForwardInterval"/>
/// per device, and remembers its answer until then: one actor call per device per interval instead of one per
/// message. A "not provisioned" is remembered for <see cref="UnknownDeviceRecheck"/> only, so a device that was just
/// provisioned is let through soon.
/// </summary>
public sealed class HeartbeatGate(IActorProxyFactory actors, DeviceModel model, TimeProvider time, IOptions<IngestionOptions> options)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new();
    private readonly TimeSpan _interval = options.Value.HeartbeatForwardInterval;

    public static readonly TimeSpan UnknownDeviceRecheck = TimeSpan.FromSeconds(2);

    /// <summary>Whether the device is provisioned, telling its actor it was heard if that is due.</summary>
    public async ValueTask<bool> AdmitAsync(string deviceId, uint boot, uint seq)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(deviceId, out var entry) && now - entry.ForwardedAt < (entry.Provisioned ? _interval : UnknownDeviceRecheck))
            return entry.Provisioned;

        // Without remoting, as DeviceIngestion calls the actor (see there why).
        var actor = actors.Create(new ActorId(deviceId), model.ActorType);
        var result = await actor.InvokeMethodAsync<DeviceHeartbeat, IngestResult>(nameof(IDeviceActor.Heartbeat), new DeviceHeartbeat(boot, seq, now));
        var provisioned = result.Outcome != IngestOutcome.Rejected;
        _entries[deviceId] = new Entry(now, provisioned);
        return provisioned;
    }

    private readonly record struct Entry(DateTimeOffset ForwardedAt, bool Provisioned);
}
