using System.Collections.Concurrent;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Model;
using DaprIoT.DeviceTwins.Twin;
using Microsoft.Extensions.Options;

namespace DaprIoT.DeviceTwins.Ingestion;

/// <summary>
/// A device answers a command that changed it with two messages sent back to back: its new state, then its ack. The
/// binding delivers them on connections of their own, in either order, and each alone would be an actor turn — the
/// second waiting for the first, each publishing an event and saving the twin. So the pair is applied in one turn: the
/// first of the two to arrive waits up to <see cref="IngestionOptions.ReportPairingWindow"/> for the other, which takes
/// it along; after the window it goes alone. Only a device this service sent a command to, and whose ack has not come
/// since, is waited for: the state a device reports of itself, and every message of a device not commanded from here,
/// goes at once.
/// </summary>
public sealed class ReportPairing(TimeProvider time, IOptions<IngestionOptions> options, DeviceModel model, DeviceMetrics metrics)
{
    /// <summary>A command's ack is expected for this long after it was sent; later, the device's messages go at once.</summary>
    public static readonly TimeSpan AckExpectedFor = TimeSpan.FromSeconds(10);

    private readonly TimeSpan _window = options.Value.ReportPairingWindow;

    /// <summary>Device → when this service last sent it a command whose ack has not come.</summary>
    private readonly ConcurrentDictionary<string, long> _awaitingAck = new(StringComparer.Ordinal);

    /// <summary>Device → its state or ack waiting for the other.</summary>
    private readonly ConcurrentDictionary<string, Waiting> _waiting = new(StringComparer.Ordinal);

    /// <summary>A command is on its way to the device: its state and ack are to come together.</summary>
    public void CommandSent(string deviceId) => _awaitingAck[deviceId] = time.GetTimestamp();

    /// <summary>
    /// Hands <paramref name="report"/> to the device's actor through <paramref name="ingest"/>, together with its
    /// partner when there is one; completes with this report's result, or fails as the actor call failed. A report that
    /// cannot have a partner (<paramref name="mayPair"/> false) goes at once, but still takes along a partner waiting.
    /// </summary>
    public async Task<IngestResult> IngestAsync(string deviceId, DeviceReport report, MessageOrder order, bool mayPair,
        Func<DeviceReport[], Task<IngestResult[]>> ingest)
    {
        if (_window <= TimeSpan.Zero || report.Kind is not (MessageKind.State or MessageKind.Ack) || !AwaitingAck(deviceId))
            return (await ingest([report]))[0];

        var mine = new Waiting(report, order);
        while (true)
        {
            if (_waiting.TryGetValue(deviceId, out var partner))
            {
                if (partner.Report.Kind != report.Kind && _waiting.TryRemove(KeyValuePair.Create(deviceId, partner)))
                    return await IngestPairAsync(deviceId, mine, partner, ingest);
                // Another message of the same kind waits already: this one has no partner to wait for.
                if (partner.Report.Kind == report.Kind) return await IngestAloneAsync(deviceId, report, ingest);
                continue; // its partner went meanwhile (alone, or with a third message): look again
            }
            // A refused command's ack has no state to wait for.
            if (!mayPair) return await IngestAloneAsync(deviceId, report, ingest);
            if (_waiting.TryAdd(deviceId, mine)) break;
            // Another message took the place a moment ago: look again, it may be the partner.
        }

        await Task.WhenAny(mine.Taken.Task, Task.Delay(_window, time));
        // Still waiting: nobody came, so it goes alone. Otherwise the partner took it, and answers for it.
        if (_waiting.TryRemove(KeyValuePair.Create(deviceId, mine)))
        {
            metrics.ReportPair(model.TypeName, paired: false);
            return await IngestAloneAsync(deviceId, report, ingest);
        }
        return await mine.Taken.Task;
    }

    private async Task<IngestResult> IngestAloneAsync(string deviceId, DeviceReport report, Func<DeviceReport[], Task<IngestResult[]>> ingest)
    {
        var result = (await ingest([report]))[0];
        if (report.Kind == MessageKind.Ack) AckCame(deviceId);
        return result;
    }

    private async Task<IngestResult> IngestPairAsync(string deviceId, Waiting mine, Waiting partner, Func<DeviceReport[], Task<IngestResult[]>> ingest)
    {
        // In the order the device sent them, as the actor would have taken them one by one.
        var mineFirst = mine.Order < partner.Order;
        IngestResult[] results;
        try
        {
            results = await ingest(mineFirst ? [mine.Report, partner.Report] : [partner.Report, mine.Report]);
        }
        catch (Exception e)
        {
            partner.Taken.TrySetException(e);
            throw;
        }

        AckCame(deviceId);
        metrics.ReportPair(model.TypeName, paired: true);
        partner.Taken.TrySetResult(results[mineFirst ? 1 : 0]);
        return results[mineFirst ? 0 : 1];
    }

    private bool AwaitingAck(string deviceId)
    {
        if (!_awaitingAck.TryGetValue(deviceId, out var sentAt)) return false;
        if (time.GetElapsedTime(sentAt) < AckExpectedFor) return true;
        _awaitingAck.TryRemove(KeyValuePair.Create(deviceId, sentAt));
        return false;
    }

    private void AckCame(string deviceId) => _awaitingAck.TryRemove(deviceId, out _);

    /// <summary>A report waiting for its partner; the partner that takes it along completes <see cref="Taken"/> with its result.</summary>
    private sealed class Waiting(DeviceReport report, MessageOrder order)
    {
        public DeviceReport Report { get; } = report;
        public MessageOrder Order { get; } = order;
        public TaskCompletionSource<IngestResult> Taken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
