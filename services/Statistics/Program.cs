using DaprIoT.Statistics;
using DaprIoT.Statistics.Api;
using DaprIoT.Statistics.Ownership;
using DaprIoT.Statistics.Programs;
using DaprIoT.Statistics.Rollups;
using DaprIoT.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;

// The statistics service: telemetry roll-ups per device (bulk subscription) and the chart series behind them.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddJwtValidation();                                      // the series API needs a signed-in user
builder.Services.TryAddSingleton(TimeProvider.System);         // the roll-ups' clock (AddJwtValidation may have added it)
builder.Services.AddSingleton<StatisticsMetrics>();              // StatisticsMetrics.cs: readings by outcome
builder.Services.AddSingleton<TelemetryRejections>();            // Api/TelemetryRejections.cs: refused telemetry, counted and logged
builder.Services.AddSingleton<RollupPlan>();                     // Rollups/RollupPlan.cs: buckets, keys, retention
builder.Services.AddSingleton<RollupStore>();
builder.Services.AddSingleton<OwnershipStore>();                 // Ownership/: who may read a device's series
builder.Services.AddSingleton<ProgramStore>();                   // Programs/: cookers' program histories
var app = builder.Build();
app.UseCloudEvents();                                            // Dapr.AspNetCore: unwraps single deliveries
app.MapSubscribeHandler();                                       // /dapr/subscribe from WithTopic(...)
app.MapServiceDefaults();
app.MapSubscriptionsApi();                                       // Api/SubscriptionsApi.cs
app.MapStatisticsApi();                                          // Api/StatisticsApi.cs
app.Run();
