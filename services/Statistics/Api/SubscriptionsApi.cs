using System.Text.Json;
using Dapr;
using Dapr.AspNetCore;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.ServiceDefaults;
using DaprIoT.Statistics.Ownership;
using DaprIoT.Statistics.Programs;
using DaprIoT.Statistics.Rollups;

namespace DaprIoT.Statistics.Api;

/// <summary>
/// What the service hears from the bus. Telemetry comes by bulk subscription: every replica of app <c>statistics</c>
/// is in one consumer group (competing consumers), and each delivery is a batch answered entry by entry. Device
/// events keep the ownership read model (<see cref="OwnershipStore"/>).
/// </summary>
public static partial class SubscriptionsApi
{
    public const string TelemetryRoute = "/subscriptions/telemetry";
    public const string DeviceEventsRoute = "/subscriptions/device-events";

    /// <summary>At most this many readings per delivery; a delivery waits at most <see cref="BatchWaitMs"/> to fill up.</summary>
    public const int BatchSize = 500;

    public const int BatchWaitMs = 1000;

    public static void MapSubscriptionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(TelemetryRoute, HandleTelemetryAsync)
            .WithTopic(ComponentNames.PubSub, Topics.Telemetry)
            .WithBulkSubscribe(new BulkSubscribeTopicOptions
            {
                TopicName = Topics.Telemetry,
                MaxMessagesCount = BatchSize,
                MaxAwaitDurationMs = BatchWaitMs,
            });

        app.MapPost(DeviceEventsRoute, HandleDeviceEventAsync)
            .WithTopic(ComponentNames.PubSub, Topics.DeviceEvents);
    }

    /// <summary>
    /// Groups the batch by device so each device's entries cost one read-modify-write per roll-up entry, not one per
    /// reading. A reading that cannot be read is dropped (delivering it again cannot help); a device whose roll-ups
    /// could not be written gets its entries back for redelivery, the other devices' entries succeed. Redelivery is
    /// safe: an entry takes only the readings it does not have yet (<see cref="ReadingRanges"/>).
    /// <para>
    /// Ownership (the rule): readings of a device whose owner entry is a tombstone — removed, as far as this service
    /// has heard — are refused: counted, logged once per device, and answered SUCCESS, since delivering them again
    /// cannot make the device exist. Readings of a device with no owner entry at all are rolled up: the two topics are
    /// not ordered, so its first device event may still be on its way; its buckets cannot be read until that event
    /// names an owner, and expire with their TTL if none ever does. A removal arriving while a batch is written could
    /// slip between the check and the write, so the owners are read again afterwards and the roll-ups of a device
    /// removed meanwhile are deleted once more.
    /// </para>
    /// </summary>
    private static async Task<IResult> HandleTelemetryAsync(BulkSubscribeMessage<BulkEvent<TelemetryReading>> message, RollupStore rollups,
        OwnershipStore owners, TelemetryRejections rejections, StatisticsMetrics metrics, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(SubscriptionsApi).FullName!);
        var statuses = new List<BulkSubscribeAppResponseEntry>();
        var readings = new List<(string EntryId, TelemetryReading Reading)>();
        foreach (var entry in message.Entries ?? [])
        {
            if (ReadingOf(entry.Event) is { } reading)
            {
                readings.Add((entry.EntryId, reading));
            }
            else
            {
                rejections.Unreadable(entry.EntryId);
                statuses.Add(new BulkSubscribeAppResponseEntry(entry.EntryId, BulkSubscribeAppResponseStatus.DROP));
            }
        }

        var devices = readings.GroupBy(r => r.Reading.DeviceId, StringComparer.Ordinal).ToList();
        IReadOnlyDictionary<string, DeviceOwner?> ownersBefore;
        try
        {
            ownersBefore = await owners.ReadAllAsync([.. devices.Select(d => d.Key)], cancellationToken);
        }
        catch (DaprException error)
        {
            // Without the owners no reading can be judged; all of them come again.
            OwnersUnreadable(logger, readings.Count, error);
            statuses.AddRange(readings.Select(r => new BulkSubscribeAppResponseEntry(r.EntryId, BulkSubscribeAppResponseStatus.RETRY)));
            return BulkSubscribeAnswer.Of(statuses);
        }

        var outcomes = new BulkSubscribeAppResponseStatus[devices.Count];
        var written = new bool[devices.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, devices.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var owner = ownersBefore[devices[i].Key];
                if (owner is { Removed: true })
                {
                    rejections.DeviceRemoved(devices[i].Key, devices[i].Count());
                    outcomes[i] = BulkSubscribeAppResponseStatus.SUCCESS;
                    return;
                }

                try
                {
                    await rollups.AddAsync(devices[i].Key, [.. devices[i].Select(r => r.Reading)], ct);
                    metrics.Readings(owner is null ? "kept_unknown_device" : "rolled_up", devices[i].Count());
                    outcomes[i] = BulkSubscribeAppResponseStatus.SUCCESS;
                    written[i] = true;
                }
                catch (Exception error) when (error is DaprException or InvalidOperationException)
                {
                    RollupFailed(logger, devices[i].Key, devices[i].Count(), error);
                    outcomes[i] = BulkSubscribeAppResponseStatus.RETRY;
                    written[i] = true;                  // a partial write is a write too
                }
            });

        await DeleteWhereRemovedMeanwhileAsync([.. devices.Where((_, i) => written[i]).Select(d => d.Key)], owners, rollups, logger,
            cancellationToken);
        for (var i = 0; i < devices.Count; i++)
        {
            statuses.AddRange(devices[i].Select(r => new BulkSubscribeAppResponseEntry(r.EntryId, outcomes[i])));
        }

        return BulkSubscribeAnswer.Of(statuses);
    }

    /// <summary>
    /// The second look of the ownership rule: a device whose tombstone appeared while its readings were written may
    /// have had its roll-ups re-created after the removal deleted them; they are deleted again. Should that fail, the
    /// entries stay unreadable behind the tombstone until their TTL: logged, and the readings are not redelivered.
    /// </summary>
    private static async Task DeleteWhereRemovedMeanwhileAsync(IReadOnlyList<string> deviceIds, OwnershipStore owners,
        RollupStore rollups, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var (deviceId, owner) in await owners.ReadAllAsync(deviceIds, cancellationToken))
            {
                if (owner is not { Removed: true }) continue;
                await rollups.DeleteAllAsync(deviceId, cancellationToken);
                RemovedWhileWritten(logger, deviceId);
            }
        }
        catch (DaprException error)
        {
            SecondLookFailed(logger, deviceIds.Count, error);
        }
    }

    /// <summary>
    /// <c>UseCloudEvents</c> has unwrapped the event: the body is the <see cref="DeviceEvent"/>, written with the contract
    /// JSON options (enums as names), so it is read with them too.
    /// </summary>
    private static async Task<IResult> HandleDeviceEventAsync(HttpRequest request, OwnershipStore owners, ProgramStore programs,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        DeviceEvent? deviceEvent;
        try
        {
            deviceEvent = await request.ReadFromJsonAsync<DeviceEvent>(ContractJson.Options, cancellationToken);
        }
        catch (JsonException)
        {
            deviceEvent = null;
        }

        if (deviceEvent is not { DeviceId.Length: > 0, Changes: not null })
        {
            // Delivering it again cannot make it readable.
            UnreadableDeviceEvent(loggers.CreateLogger(typeof(SubscriptionsApi).FullName!));
            return Results.Json(new { status = "DROP" });
        }

        // False for a removal, and for a late event of a device removed since: neither may leave a program behind.
        var live = await owners.ApplyAsync(deviceEvent, cancellationToken);
        if (live && deviceEvent.Twin?.Program is { } program)
        {
            await programs.RecordAsync(deviceEvent.DeviceId, program, cancellationToken);
        }

        return Results.Ok();
    }

    /// <summary>The reading a bulk entry carries; null when it is none.</summary>
    private static TelemetryReading? ReadingOf(BulkEvent<TelemetryReading> entry) =>
        entry.Value is { DeviceId.Length: > 0 } reading ? reading : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A device-events message is not a device event; dropped")]
    private static partial void UnreadableDeviceEvent(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Owner entries of a batch's devices not readable ({Count} readings); the sidecar delivers them again")]
    private static partial void OwnersUnreadable(ILogger logger, int count, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} was removed while its readings were written; its roll-ups are deleted again")]
    private static partial void RemovedWhileWritten(ILogger logger, string deviceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check {Count} devices for a removal after writing their roll-ups")]
    private static partial void SecondLookFailed(ILogger logger, int count, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Roll-ups of device {DeviceId} not written ({Count} readings); the sidecar delivers them again")]
    private static partial void RollupFailed(ILogger logger, string deviceId, int count, Exception error);
}
