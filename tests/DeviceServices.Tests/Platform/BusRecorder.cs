using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Serialization;
using Dapr.AspNetCore;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprIoT.DeviceServices.Tests.Platform;

/// <summary>
/// A consumer of the platform's bus hosted in the test process, written as any subscriber is (Dapr.AspNetCore:
/// <c>UseCloudEvents</c>, <c>MapSubscribeHandler</c>, <c>WithTopic</c>, <c>WithBulkSubscribe</c>): it keeps every
/// <c>device-events</c> and <c>telemetry</c> message its sidecar delivers. Both come by bulk subscription, as they do
/// to the platform's own consumers (device-management's broadcast, statistics): at thousands of messages a second, one
/// request per message would cost the sidecar more CPU than the path it is there to observe. The short waits keep a
/// batch from adding much to a message's latency.
/// </summary>
public sealed class BusRecorder : IAsyncDisposable
{
    public const string AppId = "bus-recorder";

    /// <summary>Device events per bulk delivery and the wait for a batch to fill, as device-management's broadcast subscription has them.</summary>
    public const int DeviceEventBatchSize = 500;

    public const int DeviceEventBatchWaitMs = 2;

    /// <summary>Readings per bulk delivery, and how long the sidecar waits for a batch to fill before sending it.</summary>
    public const int TelemetryBatchSize = 200;

    public const int TelemetryBatchWaitMs = 5;

    private readonly WebApplication _app;

    private BusRecorder(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>Every device event delivered, with when its delivery reached this app (<see cref="Stopwatch"/> timestamp).</summary>
    public ConcurrentQueue<Delivered<DeviceEvent>> DeviceEvents { get; } = new();

    /// <summary>Every reading delivered, with when its delivery reached this app.</summary>
    public ConcurrentQueue<Delivered<TelemetryReading>> Telemetry { get; } = new();

    /// <summary>Device-events entries delivered that were not readable as a device event (dropped, not kept).</summary>
    public int UnreadableDeviceEvents => Volatile.Read(ref _unreadableDeviceEvents);

    /// <summary>Telemetry entries delivered that were not readable as a reading (dropped, not kept).</summary>
    public int UnreadableTelemetry => Volatile.Read(ref _unreadableTelemetry);

    private int _unreadableDeviceEvents;
    private int _unreadableTelemetry;

    public IReadOnlyList<DeviceEvent> EventsOf(string deviceId) => DeviceEvents.Select(d => d.Message).Where(e => e.DeviceId == deviceId).ToList();

    public IReadOnlyList<TelemetryReading> TelemetryOf(string deviceId) => Telemetry.Select(d => d.Message).Where(t => t.DeviceId == deviceId).ToList();

    public static async Task<BusRecorder> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            foreach (var converter in ContractJson.Options.Converters) json.SerializerOptions.Converters.Add(converter);
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        var app = builder.Build();
        var recorder = new BusRecorder(app);
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        MapBulk(app, "/device-events", Topics.DeviceEvents, DeviceEventBatchSize, DeviceEventBatchWaitMs, recorder.DeviceEvents,
            () => Interlocked.Increment(ref recorder._unreadableDeviceEvents));
        MapBulk(app, "/telemetry", Topics.Telemetry, TelemetryBatchSize, TelemetryBatchWaitMs, recorder.Telemetry,
            () => Interlocked.Increment(ref recorder._unreadableTelemetry));
        await app.StartAsync(cancellationToken);
        recorder.Port = new Uri(app.Urls.First()).Port;
        return recorder;
    }

    /// <summary>Subscribes <paramref name="route"/> to <paramref name="topic"/> in bulk deliveries whose messages go to <paramref name="kept"/>.</summary>
    private static void MapBulk<T>(WebApplication app, string route, string topic, int batchSize, int batchWaitMs, ConcurrentQueue<Delivered<T>> kept,
        Action unreadable) where T : class =>
        app.MapPost(route, (BulkSubscribeMessage<BulkEvent<T>> batch) => Record(batch, kept, unreadable))
            .WithTopic(ComponentNames.PubSub, topic)
            .WithBulkSubscribe(new BulkSubscribeTopicOptions { TopicName = topic, MaxMessagesCount = batchSize, MaxAwaitDurationMs = batchWaitMs });

    /// <summary>Keeps every message of a batch; an entry that is not one is counted and dropped, as the platform's consumers drop it.</summary>
    private static IResult Record<T>(BulkSubscribeMessage<BulkEvent<T>> batch, ConcurrentQueue<Delivered<T>> kept, Action unreadable) where T : class
    {
        var receivedAt = Stopwatch.GetTimestamp();
        var statuses = new List<BulkSubscribeAppResponseEntry>();
        foreach (var entry in batch.Entries ?? [])
        {
            var status = BulkSubscribeAppResponseStatus.SUCCESS;
            if (entry.Event.Value is { } message) kept.Enqueue(new Delivered<T>(message, receivedAt));
            else
            {
                unreadable();
                status = BulkSubscribeAppResponseStatus.DROP;
            }
            statuses.Add(new BulkSubscribeAppResponseEntry(entry.EntryId, status));
        }

        return BulkSubscribeAnswer.Of(statuses);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A message the bus delivered, and when its delivery reached the app (<see cref="Stopwatch"/> timestamp).</summary>
public readonly record struct Delivered<T>(T Message, long ReceivedAt);
