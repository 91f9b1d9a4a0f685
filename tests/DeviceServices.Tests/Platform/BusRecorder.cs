using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Serialization;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprIoT.DeviceServices.Tests.Platform;

/// <summary>
/// A consumer of the platform's bus hosted in the test process, written as any subscriber is (Dapr.AspNetCore:
/// <c>UseCloudEvents</c>, <c>MapSubscribeHandler</c>, <c>WithTopic</c>): it keeps every <c>device-events</c> and
/// <c>telemetry</c> message its sidecar delivers.
/// </summary>
public sealed class BusRecorder : IAsyncDisposable
{
    public const string AppId = "bus-recorder";

    private readonly WebApplication _app;

    private BusRecorder(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public ConcurrentQueue<DeviceEvent> DeviceEvents { get; } = new();

    public ConcurrentQueue<TelemetryReading> Telemetry { get; } = new();

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
        app.MapPost("/telemetry", (TelemetryReading t) => recorder.Telemetry.Enqueue(t)).WithTopic(ComponentNames.PubSub, Topics.Telemetry);
        await app.StartAsync(cancellationToken);
        recorder.Port = new Uri(app.Urls.First()).Port;
        return recorder;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
