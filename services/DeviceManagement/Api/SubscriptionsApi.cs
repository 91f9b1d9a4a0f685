using Dapr;
using Dapr.AspNetCore;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Events;
using DaprIoT.DeviceManagement.Live;
using DaprIoT.DeviceManagement.ReadModel;
using DaprIoT.ServiceDefaults;

namespace DaprIoT.DeviceManagement.Api;

/// <summary>
/// <c>device-events</c>, heard twice, both times in bulk deliveries answered entry by entry. On
/// <see cref="ComponentNames.PubSub"/> every replica is in one consumer group, so each event reaches one of them, which
/// writes it to the read model (<see cref="DeviceStore"/>). On <see cref="BroadcastPubSub"/>, whose consumer id is the
/// replica's own, every replica hears every event and pushes it to the owner's connections it holds.
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

    /// <summary>
    /// The broadcast comes in batches of up to this many events, each sent at most <see cref="BroadcastBatchWaitMs"/>
    /// after its first event (the sidecar counts the wait from a batch's first event, as daprd does): a quiet fleet's
    /// change waits those 2 ms, and under load one delivery carries hundreds of changes instead of one request each.
    /// </summary>
    public const int BroadcastBatchSize = 500;

    public const int BroadcastBatchWaitMs = 2;

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
        app.MapPost(BroadcastRoute, Push).WithTopic(BroadcastPubSub, Topics.DeviceEvents)
            .WithBulkSubscribe(new BulkSubscribeTopicOptions
            {
                TopicName = Topics.DeviceEvents,
                MaxMessagesCount = BroadcastBatchSize,
                MaxAwaitDurationMs = BroadcastBatchWaitMs,
            })
            .ExcludeFromDescription();
    }

    /// <summary>
    /// Writes a batch of events to the read model: the entries of a device whose events could not be written are
    /// delivered again, the rest succeed.
    /// </summary>
    private static async Task<IResult> ApplyAsync(BulkSubscribeMessage<BulkEvent<DeviceEventJson>> message, DeviceStore store, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var (events, statuses) = Read(message, loggers);
        var notApplied = await store.ApplyAsync([.. events.Select(e => e.Event)], cancellationToken);
        statuses.AddRange(events.Select(e => new BulkSubscribeAppResponseEntry(e.EntryId,
            notApplied.Contains(e.Event.DeviceId) ? BulkSubscribeAppResponseStatus.RETRY : BulkSubscribeAppResponseStatus.SUCCESS)));
        return BulkSubscribeAnswer.Of(statuses);
    }

    /// <summary>
    /// Remembers each change for snapshots and hands it to the coalescer, which pushes it to the owner's connections
    /// here. Neither waits for browsers (the coalescer merges what it cannot send yet), so the batch is answered at once.
    /// </summary>
    private static IResult Push(BulkSubscribeMessage<BulkEvent<DeviceEventJson>> message, RecentChanges recent, ChangeCoalescer coalescer, ILoggerFactory loggers)
    {
        var (changes, statuses) = Read(message, loggers);
        foreach (var (entryId, change) in changes)
        {
            recent.Record(change);
            coalescer.Offer(change);
            statuses.Add(new BulkSubscribeAppResponseEntry(entryId, BulkSubscribeAppResponseStatus.SUCCESS));
        }

        return BulkSubscribeAnswer.Of(statuses);
    }

    /// <summary>The batch's device events, and a DROP for each entry that is none (delivering it again cannot make it readable).</summary>
    private static (List<(string EntryId, DeviceEventJson Event)> Events, List<BulkSubscribeAppResponseEntry> Statuses) Read(
        BulkSubscribeMessage<BulkEvent<DeviceEventJson>> message, ILoggerFactory loggers)
    {
        var statuses = new List<BulkSubscribeAppResponseEntry>();
        var events = new List<(string EntryId, DeviceEventJson Event)>(message.Entries?.Count ?? 0);
        foreach (var entry in message.Entries ?? [])
        {
            if (entry.Event.Value is { } deviceEvent)
            {
                events.Add((entry.EntryId, deviceEvent));
            }
            else
            {
                UnreadableDeviceEvent(loggers.CreateLogger(typeof(SubscriptionsApi).FullName!));
                statuses.Add(new BulkSubscribeAppResponseEntry(entry.EntryId, BulkSubscribeAppResponseStatus.DROP));
            }
        }

        return (events, statuses);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A device-events message is not a device event; dropped")]
    private static partial void UnreadableDeviceEvent(ILogger logger);
}
