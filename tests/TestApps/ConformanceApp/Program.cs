// ConformanceApp: a Dapr app written on the official Dapr .NET SDK as any Dapr user writes one, driven by the local
// runtime's end-to-end conformance suite. The same binary runs under real daprd. Behaviour comes from environment variables:
//
//   APP_PORT        (required) port to listen on, on 127.0.0.1; set by the runtime from dapr.yaml's appPort.
//   APP_ID          used in the instance name.
//   INSTANCE_ID     optional name of this replica in recordings; default "{APP_ID}-{process id}".
//   DAPR_HTTP_PORT, DAPR_GRPC_PORT, DAPR_API_TOKEN  read by the SDK as Dapr defines them.
//   APP_API_TOKEN   read by the SDK's "Dapr" authentication scheme; when set, every endpoint of this app but /healthz
//                   and the SDK's own (/dapr/subscribe, /dapr/config, /actors/...) requires it as dapr-api-token.
//   WAIT_FOR_SIDECAR  "true": before listening, wait with DaprClient.WaitForSidecarAsync (which polls
//                   /v1.0/healthz/outbound) as apps that need the sidecar at start-up do; GET /pid then says so.
//   SUBSCRIPTIONS   subscriptions mapped with WithTopic, ';'-separated "pubsub:topic[:deadLetterTopic][:raw|:bulk]",
//                   e.g. "pubsub:orders:orders-dead;pubsub:orders-dead" (":raw" subscribes with rawPayload=true,
//                   ":bulk" with WithBulkSubscribe). Each message's JSON data picks the handler's answer:
//                     {"outcome":"success"|"retry"|"drop"|"404"|"500"|"garbage-2xx"|"slow",
//                      "retryTimes":N,   answer the outcome the first N deliveries of this message, then SUCCESS
//                      "slowMs":M,       for "slow": wait M ms (default 5000) before SUCCESS
//                      "key":"k"}        names the message for counting (default: the CloudEvent id; raw
//                                        deliveries get a fresh id each time, so give them a key)
//                   No outcome (or data that is not a JSON object) means success. In a bulk delivery each entry gets
//                   its own status: retry and 500 answer RETRY, drop and 404 answer DROP, everything else SUCCESS.
//                   GET /deliveries?topic=T lists what arrived: id, key, topic, pubsubname, type, source,
//                   datacontenttype, route (the app path the sidecar posted to), data (the event data when it is JSON),
//                   dataBase64 (the data as base64 when its content type is neither JSON nor text), traceparent (of the
//                   delivery request), deliveryCount, outcome, instance, receivedAt.
//   SUBSCRIPTION_RULES  optional routing rules for those subscriptions, a JSON array of
//                   {"pubsubname":"pubsub","topic":"orders","match":"event.type == \"alarm\"","path":"/alarms"},
//                   mapped with TopicOptions.Match and Priority in array order; the default route of subscription i
//                   is /subscriptions/{i}. Rule paths record deliveries too.
//   BINDINGS        input bindings, ','- or ';'-separated names, each mapped as POST /{name}; GET /binding-events?name=N
//                   lists each delivery's body (text and base64), metadata headers (MQTT "topic" included), instance.
//   ACTORS          "true" hosts actor type Probe (see IProbeActor.cs) with AddActors/MapActorsHandlers.
//                   GET /activations lists activations per id in this process. The SDK does not serialise calls to an
//                   actor id itself, so Probe.Enter observes the sidecar's turn-based concurrency and fails (500,
//                   "Concurrent entry") when two calls for one id overlap.
//   ACTOR_IDLE_TIMEOUT_SECONDS  optional actorIdleTimeout reported in /dapr/config (default: the sidecar's).
//
// Always served: /echo/** (any verb: method, path, query, body, headers as JSON), /status/{code} (that status with a
// ProblemDetails body), GET /pid, GET /healthz.
using System.Text.Json.Serialization;
using Dapr;
using Dapr.Client;
using DaprIoT.ConformanceApp;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

var builder = WebApplication.CreateBuilder(args);
var settings = ConformanceSettings.Read(builder.Configuration);
builder.WebHost.UseUrls($"http://127.0.0.1:{settings.AppPort}");
builder.Services.AddProblemDetails();
builder.Services.AddSingleton(settings);
builder.Services.AddSingleton<DeliveryLog>();
builder.Services.AddSingleton<StartupState>();
builder.Services.AddDaprClient();
// Bulk subscription answers name their status as text ("SUCCESS"), which is what the sidecar reads.
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
builder.Services.AddAuthentication().AddDapr();
builder.Services.AddAuthorization(options => options.AddDapr());
builder.AddConformanceActors(settings);

var app = builder.Build();
// Subscription handlers read the CloudEvent's attributes from the Cloudevent.* headers this option adds.
app.UseCloudEvents(new CloudEventsMiddlewareOptions { ForwardCloudEventPropertiesAsHeaders = true });
app.UseAuthentication();
app.UseAuthorization();
app.MapSubscribeHandler();
app.MapGet("/healthz", () => Results.Ok());

// Everything of the app's own goes in one group, so the app token guards all of it at once.
var api = app.MapGroup("");
if (settings.RequiresAppToken)
{
    api.RequireAuthorization("Dapr");
}

api.MapConformanceInvocation(settings);
api.MapConformanceSubscriptions(settings);
api.MapConformanceBindings(settings);
app.MapConformanceActors(api, settings);

if (settings.WaitForSidecar)
{
    using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    await app.Services.GetRequiredService<DaprClient>().WaitForSidecarAsync(limit.Token);
    app.Services.GetRequiredService<StartupState>().WaitedForSidecar = true;
}

app.Run();
