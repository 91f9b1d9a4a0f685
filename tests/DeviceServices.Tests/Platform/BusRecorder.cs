using System.Collections.Concurrent;
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
/// <c>device-events</c> and <c>telemetry</c> message its sidecar delivers. Telemetry comes by bulk subscription, as it
/// does to the platform's own consumer (statistics): at ten thousand readings a second, one request per reading would
/// cost the sidecar more CPU than the path it is there to observe. The short wait keeps a batch from adding much to a
/// reading's latency.
/// </summary>
public sealed class BusRecorder : IAsyncDisposable
{
    public const string AppId = "bus-recorder";

    /// <summary>Readings per bulk delivery, and how long the sidecar waits for a batch to fill before sending it.</summary>
    public const int TelemetryBatchSize = 200;

    public const int TelemetryBatchWaitMs = 5;

    private readonly WebApplication _app;

    private BusRecorder(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public ConcurrentQueue<DeviceEvent> DeviceEvents { get; } = new();

    public ConcurrentQueue<TelemetryReading> Telemetry { get; } = new();

    /// <summary>Telemetry entries delivered that were not readable as a reading (dropped, not kept).</summary>
    public int UnreadableTelemetry => Volatile.Read(ref _unreadableTelemetry);

    private int _unreadableTelemetry;

    public IReadOnlyList<DeviceEvent> EventsOf(string deviceId) => DeviceEvents.Where(e => e.DeviceId == deviceId).ToList();

    public IReadOnlyList<TelemetryReading> TelemetryOf(string deviceId) => Telemetry.Where(t => t.DeviceId == deviceId).ToList();

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
        app.MapPost("/device-events", (DeviceEvent e) => recorder.DeviceEvents.Enqueue(e)).WithTopic(ComponentNames.PubSub, Topics.DeviceEvents);
        app.MapPost("/telemetry", recorder.RecordTelemetry)
            .WithTopic(ComponentNames.PubSub, Topics.Telemetry)
            .WithBulkSubscribe(new BulkSubscribeTopicOptions
            {
                TopicName = Topics.Telemetry,
                MaxMessagesCount = TelemetryBatchSize,
                MaxAwaitDurationMs = TelemetryBatchWaitMs,
            });
        await app.StartAsync(cancellationToken);
        recorder.Port = new Uri(app.Urls.First()).Port;
        return recorder;
    }

    /// <summary>Keeps every reading of a batch; an entry that is not a reading is dropped, as statistics drops it.</summary>
    private IResult RecordTelemetry(BulkSubscribeMessage<BulkEvent<TelemetryReading>> batch)
    {
        var statuses = new List<BulkSubscribeAppResponseEntry>();
        foreach (var entry in batch.Entries ?? [])
        {
            var status = BulkSubscribeAppResponseStatus.SUCCESS;
            if (entry.Event.Value is { } reading) Telemetry.Enqueue(reading);
            else
            {
                Interlocked.Increment(ref _unreadableTelemetry);
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
