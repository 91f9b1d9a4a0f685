using System.Text.Json;
using System.Text.Json.Serialization;
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
    /// At most this many events per read-model delivery, which costs a few state calls whatever its size; a delivery
    /// waits at most <see cref="ReadModelBatchWaitMs"/> to fill up, so a device's change reaches the list quickly.
    /// </summary>
    public const int ReadModelBatchSize = 200;

    public const int ReadModelBatchWaitMs = 100;

    /// <summary>The bulk answer as the sidecar reads it: statuses by their names (SUCCESS, RETRY, DROP), whatever the API's JSON options.</summary>
    private static readonly JsonSerializerOptions BulkResponseJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static void MapSubscriptionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(ReadModelRoute, ApplyAsync).WithTopic(ComponentNames.PubSub, Topics.DeviceEvents)
            .WithBulkSubscribe(new BulkSubscribeTopicOptions
            {
                TopicName = Topics.DeviceEvents,
                MaxMessagesCount = ReadModelBatchSize,
                MaxAwaitDurationMs = ReadModelBatchWaitMs,
            })
            .ExcludeFromDescription();
        app.MapPost(BroadcastRoute, PushAsync).WithTopic(BroadcastPubSub, Topics.DeviceEvents).ExcludeFromDescription();
    }

    /// <summary>
    /// Writes a batch of events to the read model, answered entry by entry: an entry that is no device event is dropped
    /// (delivering it again cannot make it readable), the entries of a device whose events could not be written are
    /// delivered again, the rest succeed.
    /// </summary>
    private static async Task<IResult> ApplyAsync(BulkSubscribeMessage<JsonElement> message, DeviceStore store, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var statuses = new List<BulkSubscribeAppResponseEntry>();
        var events = new List<(string EntryId, DeviceEvent Event)>();
        foreach (var entry in message.Entries ?? [])
        {
            if (DeviceEventOf(entry.Event) is { } deviceEvent)
            {
                events.Add((entry.EntryId, deviceEvent));
            }
            else
            {
                UnreadableDeviceEvent(loggers.CreateLogger(typeof(SubscriptionsApi).FullName!));
                statuses.Add(new BulkSubscribeAppResponseEntry(entry.EntryId, BulkSubscribeAppResponseStatus.DROP));
            }
        }

        var notApplied = await store.ApplyAsync([.. events.Select(e => e.Event)], cancellationToken);
        statuses.AddRange(events.Select(e => new BulkSubscribeAppResponseEntry(e.EntryId,
            notApplied.Contains(e.Event.DeviceId) ? BulkSubscribeAppResponseStatus.RETRY : BulkSubscribeAppResponseStatus.SUCCESS)));
        return Results.Json(new BulkSubscribeAppResponse(statuses), BulkResponseJson);
    }

    /// <summary>
    /// A bulk entry's event is the CloudEvent (its <c>data</c> the device event, possibly as JSON text), or the device
    /// event itself when published raw; written with the contract JSON options, and read with them. Null when it is no
    /// device event.
    /// </summary>
    private static DeviceEvent? DeviceEventOf(JsonElement cloudEvent)
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

    /// <summary>Remembers the change for snapshots and hands it to the coalescer, which pushes it to the owner's connections here.</summary>
    private static async Task<IResult> PushAsync(HttpRequest request, RecentChanges recent, ChangeCoalescer coalescer, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        if (await ReadAsync(request, loggers, cancellationToken) is not { } deviceEvent) return Dropped;
        recent.Record(deviceEvent);
        coalescer.Offer(deviceEvent);
        return Results.Ok();
    }

    // Delivering it again cannot make it readable.
    private static IResult Dropped => Results.Json(new { status = "DROP" });

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
