using System.Text.Json;
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

    public static void MapSubscriptionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(ReadModelRoute, ApplyAsync).WithTopic(ComponentNames.PubSub, Topics.DeviceEvents).ExcludeFromDescription();
        app.MapPost(BroadcastRoute, PushAsync).WithTopic(BroadcastPubSub, Topics.DeviceEvents).ExcludeFromDescription();
    }

    /// <summary>Writes the event to the read model; a failure answers 500, so the sidecar delivers it again.</summary>
    private static async Task<IResult> ApplyAsync(HttpRequest request, DeviceStore store, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (await ReadAsync(request, loggers, cancellationToken) is not { } deviceEvent) return Dropped;
        await store.ApplyAsync(deviceEvent, cancellationToken);
        return Results.Ok();
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
