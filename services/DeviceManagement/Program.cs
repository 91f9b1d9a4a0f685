using System.Text.Json;
using System.Text.Json.Serialization;
using Dapr.Actors.Client;
using DaprIoT.Contracts;
using DaprIoT.DeviceManagement;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.DeviceManagement.Devices;
using DaprIoT.DeviceManagement.Live;
using DaprIoT.DeviceManagement.ReadModel;
using DaprIoT.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// The device-management service: a user's devices over REST, their live twins over SignalR, and the user → devices
// read model both are answered from.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddJwtValidation();                                      // every route and the hub need a signed-in user
builder.Services.TryAddSingleton(TimeProvider.System);          // the coalescer's clock (AddJwtValidation may have added it)
builder.Services.AddOptions<DeviceManagementOptions>().BindConfiguration(DeviceManagementOptions.Section)
    .Validate(o => !string.IsNullOrWhiteSpace(o.MqttHost) && o.MqttPort is > 0 and < 65536, "DeviceManagement: MqttHost and MqttPort (1-65535) are required")
    .Validate(o => o.CoalesceWindow >= TimeSpan.Zero && o.RecentChangesKept > TimeSpan.Zero && o.MaxConcurrentPushes > 0,
        "DeviceManagement: CoalesceWindow must not be negative; RecentChangesKept and MaxConcurrentPushes must be positive")
    .ValidateOnStart();
// The API speaks the contracts' JSON: enums as camelCase names, nulls left out (ContractJson).
builder.Services.ConfigureHttpJsonOptions(options =>
{
    options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
    options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
});
// The device actors read and write the contracts' JSON; the calls to them (Devices/DeviceActors) must match.
builder.Services.AddSingleton<IActorProxyFactory>(_ => new ActorProxyFactory(new ActorProxyOptions
{
    JsonSerializerOptions = new JsonSerializerOptions(ContractJson.Options),
}));
builder.Services.AddSingleton<DeviceStore>();                    // ReadModel/: user → devices, twins, timelines
builder.Services.AddSingleton<DeviceOperations>();               // Devices/: ownership, checks, actor calls
builder.Services.AddSingleton<DeviceActors>();                   // Devices/: the device actors, called with plain JSON
builder.Services.AddSingleton<RecentChanges>();                  // Live/: what the hub pushes, and how
builder.Services.AddSingleton<Snapshots>();
builder.Services.AddSingleton<LiveConnections>();
builder.Services.AddSingleton(provider =>
{
    var options = provider.GetRequiredService<IOptions<DeviceManagementOptions>>().Value;
    return new ChangeCoalescer(provider.GetRequiredService<TimeProvider>(), options.CoalesceWindow, options.MaxConcurrentPushes,
        provider.GetRequiredService<LiveConnections>().PushAsync, provider.GetRequiredService<ILogger<ChangeCoalescer>>());
});
builder.Services.AddSignalR().AddJsonProtocol(options => options.PayloadSerializerOptions = new JsonSerializerOptions(ContractJson.Options));
builder.Services.AddOpenApi(options =>
{
    options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
    options.AddDocumentTransformer((document, _, _) =>
    {
        document.Info.Title = "DaprIoT device management";
        document.Info.Description = "A signed-in user's devices (docs/device-api.md). The live hub is /hubs/devices (SignalR).";
        // The server is whoever the browser reached (the frontend's edge routing), not this replica's address.
        document.Servers = [];
        return Task.CompletedTask;
    });
});

var app = builder.Build();
app.UseCloudEvents();                                            // Dapr.AspNetCore: unwraps deliveries
app.MapSubscribeHandler();                                       // /dapr/subscribe from WithTopic(...)
app.MapServiceDefaults();
app.MapOpenApi();                                                // /openapi/v1.json, committed as openapi.json
app.MapSubscriptionsApi();                                       // Api/SubscriptionsApi.cs
app.MapDevicesApi();                                             // Api/DevicesApi.cs
app.MapHub<DeviceHub>(DeviceHub.Path).RequireAuthorization();   // Live/DeviceHub.cs
app.Run();
