using System.Text.Json;
using Dapr.Actors.Runtime;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Actors;
using DaprIoT.DeviceTwins.Broker;
using DaprIoT.DeviceTwins.Ingestion;
using DaprIoT.DeviceTwins.Model;
using DaprIoT.DeviceTwins.Twin;
using DaprIoT.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DaprIoT.DeviceTwins.Hosting;

/// <summary>
/// A device service is a device model and its actor type on top of the shared twin engine:
/// <code>
/// var builder = WebApplication.CreateBuilder(args);
/// builder.AddDeviceService&lt;LightBulbActor, LightBulbModel&gt;();
/// var app = builder.Build();
/// app.MapDeviceService();
/// app.Run();
/// </code>
/// </summary>
public static class DeviceServiceExtensions
{
    /// <summary>The device messages that arrive through the type's MQTT input bindings, one binding each.</summary>
    public static readonly MessageKind[] ReportKinds = [MessageKind.State, MessageKind.Telemetry, MessageKind.Ack, MessageKind.Presence];

    public static WebApplicationBuilder AddDeviceService<TActor, TModel>(this WebApplicationBuilder builder)
        where TActor : DeviceActor
        where TModel : DeviceModel, new()
    {
        var model = new TModel();
        builder.AddServiceDefaults();
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<TwinOptions>().BindConfiguration("Twins")
            .Validate(o => o.CommandRetryDelay > TimeSpan.Zero && o.CommandRetryMaxDelay >= o.CommandRetryDelay,
                "Twins: CommandRetryDelay must be positive and CommandRetryMaxDelay at least as long")
            .Validate(o => o.CommandMaxAttempts >= 1 && o.MissedHeartbeats >= 1 && o.DefaultHeartbeatS >= 1 && o.FinishedCommandsKept >= 0,
                "Twins: CommandMaxAttempts, MissedHeartbeats and DefaultHeartbeatS must be at least 1, FinishedCommandsKept at least 0")
            .Validate(o => o.TakeoverGrace >= TimeSpan.Zero && o.PresenceDamping >= TimeSpan.Zero && o.PreheatAllowance >= TimeSpan.Zero,
                "Twins: TakeoverGrace, PresenceDamping and PreheatAllowance must not be negative")
            .ValidateOnStart();
        services.AddOptions<IngestionOptions>().BindConfiguration("Ingestion")
            .Validate(o => o.HeartbeatForwardInterval > TimeSpan.Zero && o.TelemetryQueueCapacity >= 1 && o.TelemetryBatchSize >= 1
                && o.TelemetryBatchesInFlight >= 1 && o.TelemetryPublishAttempts >= 1 && o.TelemetryBatchLinger >= TimeSpan.Zero
                && o.ReportPairingWindow >= TimeSpan.Zero,
                "Ingestion: HeartbeatForwardInterval must be positive; TelemetryQueueCapacity, TelemetryBatchSize, TelemetryBatchesInFlight and TelemetryPublishAttempts at least 1; TelemetryBatchLinger and ReportPairingWindow not negative")
            .ValidateOnStart();
        services.AddSingleton(model);
        services.AddSingleton<DeviceModel>(model);
        services.AddSingleton<DeviceMetrics>();
        services.AddSingleton<DeviceCommandSender>();
        services.AddSingleton<BrokerAccounts>();
        services.AddSingleton<DeviceEventPublisher>();
        services.AddSingleton<DeviceActorServices>();
        services.AddSingleton<RejectionLog>();
        services.AddSingleton<ActorFailureLog>();
        services.AddSingleton<HeartbeatGate>();
        services.AddSingleton<ReportPairing>();
        services.AddSingleton<TelemetryPublisher>();
        services.AddHostedService(provider => provider.GetRequiredService<TelemetryPublisher>());
        services.AddSingleton<DeviceIngestion>();
        services.AddSingleton<BrokerResponses>();
        services.AddActors(options =>
        {
            options.Actors.RegisterActor<TActor>(model.ActorType);
            // JSON both ways, with the contracts' options, so records travel as they are and an actor method can
            // also be called with plain JSON through the sidecar.
            options.UseJsonSerialization = true;
            options.JsonSerializerOptions = new JsonSerializerOptions(ContractJson.Options);
        });
        return builder;
    }

    public static WebApplication MapDeviceService(this WebApplication app)
    {
        app.MapServiceDefaults();
        app.MapActorsHandlers();
        var model = app.Services.GetRequiredService<DeviceModel>();
        foreach (var kind in ReportKinds)
        {
            app.MapPost("/" + DeviceIngestion.BindingName(model, kind),
                (HttpRequest request, DeviceIngestion ingestion) => ingestion.HandleAsync(kind, request));
        }

        app.MapPost("/" + BrokerResponses.BindingName(model), (HttpRequest request, BrokerResponses responses) => responses.HandleAsync(request));

        return app;
    }
}
