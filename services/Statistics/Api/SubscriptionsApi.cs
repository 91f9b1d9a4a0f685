using System.Text.Json;
using Dapr;
using Dapr.AspNetCore;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
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
    /// could not be written gets its entries back for redelivery, the other devices' entries succeed.
    /// </summary>
    private static async Task<IResult> HandleTelemetryAsync(BulkSubscribeMessage<JsonElement> message, RollupStore rollups,
        ILoggerFactory loggers, CancellationToken cancellationToken)
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
                UnreadableReading(logger, entry.EntryId);
                statuses.Add(new BulkSubscribeAppResponseEntry(entry.EntryId, BulkSubscribeAppResponseStatus.DROP));
            }
        }

        var devices = readings.GroupBy(r => r.Reading.DeviceId, StringComparer.Ordinal).ToList();
        var outcomes = new BulkSubscribeAppResponseStatus[devices.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, devices.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                try
                {
                    await rollups.AddAsync(devices[i].Key, [.. devices[i].Select(r => r.Reading)], ct);
                    outcomes[i] = BulkSubscribeAppResponseStatus.SUCCESS;
                }
                catch (Exception error) when (error is DaprException or InvalidOperationException)
                {
                    RollupFailed(logger, devices[i].Key, devices[i].Count(), error);
                    outcomes[i] = BulkSubscribeAppResponseStatus.RETRY;
                }
            });
        for (var i = 0; i < devices.Count; i++)
        {
            statuses.AddRange(devices[i].Select(r => new BulkSubscribeAppResponseEntry(r.EntryId, outcomes[i])));
        }

        return Results.Json(new BulkSubscribeAppResponse(statuses));
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

        await owners.ApplyAsync(deviceEvent, cancellationToken);
        if (!deviceEvent.Changes.Contains(DeviceChanges.Removed) && deviceEvent.Twin?.Program is { } program)
        {
            await programs.RecordAsync(deviceEvent.DeviceId, program, cancellationToken);
        }

        return Results.Ok();
    }

    /// <summary>
    /// A bulk entry's event is the CloudEvent (its <c>data</c> the reading, possibly as JSON text), or the reading itself
    /// when published raw. Null when it is no reading.
    /// </summary>
    private static TelemetryReading? ReadingOf(JsonElement cloudEvent)
    {
        var data = cloudEvent.ValueKind == JsonValueKind.Object && cloudEvent.TryGetProperty("data", out var inner) ? inner : cloudEvent;
        try
        {
            var reading = data.ValueKind == JsonValueKind.String
                ? JsonSerializer.Deserialize<TelemetryReading>(data.GetString()!, ContractJson.Options)
                : data.Deserialize<TelemetryReading>(ContractJson.Options);
            return reading is { DeviceId.Length: > 0 } ? reading : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telemetry entry {EntryId} is not a telemetry reading; dropped")]
    private static partial void UnreadableReading(ILogger logger, string entryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A device-events message is not a device event; dropped")]
    private static partial void UnreadableDeviceEvent(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Roll-ups of device {DeviceId} not written ({Count} readings); the sidecar delivers them again")]
    private static partial void RollupFailed(ILogger logger, string deviceId, int count, Exception error);
}
