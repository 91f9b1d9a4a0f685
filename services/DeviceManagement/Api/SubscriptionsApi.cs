using System.Text.Json;
using Dapr;
using Dapr.AspNetCore;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Live;
using DaprIoT.DeviceManagement.ReadModel;

namespace DaprIoT.DeviceManagement.Api;

/// <summary>
/// <c>device-events</c>, heard twice. On <see cref="ComponentNames.PubSub"/> every replica is in one consumer group, so
/// each event reaches one of them, which writes it to the read model (<see cref="DeviceStore"/>). On
/// <see cref="BroadcastPubSub"/>, whose consumer id is the replica's own, every replica hears every event and pushes it
/// to the owner's connections it holds.
/// </summary>
public static partial class SubscriptionsApi
{
    /// <summary>The pub/sub component for the broadcast subscription (components/*/pubsub-broadcast.yaml): same bus, one consumer group per replica.</summary>
    public const string BroadcastPubSub = "pubsub-broadcast";

    public const string ReadModelRoute = "/subscriptions/device-events";
    public const string BroadcastRoute = "/subscriptions/device-events/broadcast";

    /// <summary>
    /// The broadcast comes in batches of up to this many events, each sent at most <see cref="BroadcastBatchWaitMs"/>
    /// after its first event: a quiet fleet's change waits about a millisecond, and under load one delivery carries
    /// hundreds of changes instead of one request each.
    /// </summary>
    public const int BroadcastBatchSize = 500;

    public const int BroadcastBatchWaitMs = 2;

    public static void MapSubscriptionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(ReadModelRoute, ApplyAsync).WithTopic(ComponentNames.PubSub, Topics.DeviceEvents).ExcludeFromDescription();
        app.MapPost(BroadcastRoute, PushAsync).WithTopic(BroadcastPubSub, Topics.DeviceEvents)
            .WithBulkSubscribe(new BulkSubscribeTopicOptions
            {
                TopicName = Topics.DeviceEvents,
                MaxMessagesCount = BroadcastBatchSize,
                MaxAwaitDurationMs = BroadcastBatchWaitMs,
            })
            .ExcludeFromDescription();
    }

    /// <summary>Writes the event to the read model; a failure answers 500, so the sidecar delivers it again.</summary>
    private static async Task<IResult> ApplyAsync(HttpRequest request, DeviceStore store, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (await ReadAsync(request, loggers, cancellationToken) is not { } deviceEvent) return Dropped;
        await store.ApplyAsync(deviceEvent, cancellationToken);
        return Results.Ok();
    }

    /// <summary>
    /// Remembers each change for snapshots and hands it to the coalescer, which pushes it to the owner's connections
    /// here. Neither waits for browsers (the coalescer merges what it cannot send yet), so the batch is answered at once.
    /// </summary>
    private static IResult PushAsync(BulkSubscribeMessage<JsonElement> message, RecentChanges recent, ChangeCoalescer coalescer,
        ILoggerFactory loggers)
    {
        var statuses = new List<BulkSubscribeAppResponseEntry>(message.Entries?.Count ?? 0);
        foreach (var entry in message.Entries ?? [])
        {
            if (EventOf(entry.Event) is { } deviceEvent)
            {
                recent.Record(deviceEvent);
                coalescer.Offer(deviceEvent);
                statuses.Add(new BulkSubscribeAppResponseEntry(entry.EntryId, BulkSubscribeAppResponseStatus.SUCCESS));
            }
            else
            {
                UnreadableDeviceEvent(loggers.CreateLogger(typeof(SubscriptionsApi).FullName!));
                statuses.Add(new BulkSubscribeAppResponseEntry(entry.EntryId, BulkSubscribeAppResponseStatus.DROP));
            }
        }

        return Results.Json(new BulkSubscribeAppResponse(statuses));
    }

    // Delivering it again cannot make it readable.
    private static IResult Dropped => Results.Json(new { status = "DROP" });

    /// <summary>
    /// A bulk entry's event is the CloudEvent (its <c>data</c> the device event, possibly as JSON text), or the event
    /// itself when published raw. Null when it is no device event.
    /// </summary>
    private static DeviceEvent? EventOf(JsonElement cloudEvent)
    {
        var data = cloudEvent.ValueKind == JsonValueKind.Object && cloudEvent.TryGetProperty("data", out var inner) ? inner : cloudEvent;
        try
        {
            var deviceEvent = data.ValueKind == JsonValueKind.String
                ? JsonSerializer.Deserialize<DeviceEvent>(data.GetString()!, ContractJson.Options)
                : data.Deserialize<DeviceEvent>(ContractJson.Options);
            return deviceEvent is { DeviceId.Length: > 0, Changes: not null, Twin: not null } ? deviceEvent : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary><c>UseCloudEvents</c> has unwrapped the event; it was written with the contract JSON options, and is read with them.</summary>
    private static async Task<DeviceEvent?> ReadAsync(HttpRequest request, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        try
        {
            if (await request.ReadFromJsonAsync<DeviceEvent>(ContractJson.Options, cancellationToken) is { DeviceId.Length: > 0, Changes: not null, Twin: not null } deviceEvent)
                return deviceEvent;
        }
        catch (JsonException)
        {
        }

        UnreadableDeviceEvent(loggers.CreateLogger(typeof(SubscriptionsApi).FullName!));
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A device-events message is not a device event; dropped")]
    private static partial void UnreadableDeviceEvent(ILogger logger);
}
