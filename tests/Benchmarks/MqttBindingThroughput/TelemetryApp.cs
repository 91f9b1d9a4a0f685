using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DaprIoT.Benchmarks.MqttBindingThroughput;

/// <summary>The app behind the sidecar: counts each telemetry event delivered to <c>POST /telemetry</c> and answers 200.</summary>
public sealed class TelemetryApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _devices;
    private long _warmUp;

    private TelemetryApp(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>Events from the simulated devices.</summary>
    public long DeviceEvents => Interlocked.Read(ref _devices);

    /// <summary>Events published by the benchmark itself to see that the binding is subscribed.</summary>
    public long WarmUpEvents => Interlocked.Read(ref _warmUp);

    public static async Task<TelemetryApp> StartAsync(string warmUpTopic)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = new TelemetryApp(builder.Build());
        app._app.MapPost("/telemetry", (HttpRequest request) =>
        {
            if (request.Headers["topic"] == warmUpTopic) Interlocked.Increment(ref app._warmUp);
            else Interlocked.Increment(ref app._devices);
            return Results.Ok();
        });
        await app._app.StartAsync();
        var address = app._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        app.Port = new Uri(address).Port;
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
