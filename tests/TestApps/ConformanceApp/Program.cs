// ConformanceApp: a Dapr app built only on DaprIoT.Dapr, driven by the local runtime's end-to-end conformance suite.
// The same binary runs under real daprd. Behaviour comes from environment variables:
//
//   APP_PORT        (required) port to listen on, on 127.0.0.1; set by the runtime from dapr.yaml's appPort.
//   APP_ID          used in the instance name.
//   INSTANCE_ID     optional name of this replica in recordings; default "{APP_ID}-{process id}".
//   DAPR_HTTP_PORT  sidecar HTTP port (default 3500); DAPR_API_TOKEN / APP_API_TOKEN as Dapr defines them
//                   (with APP_API_TOKEN set, every request but /healthz and /alive needs dapr-api-token).
//   SUBSCRIPTIONS   programmatic subscriptions, ';'-separated "pubsub:topic[:deadLetterTopic][:raw]",
//                   e.g. "pubsub:orders:orders-dead;pubsub:orders-dead" (":raw" subscribes with rawPayload=true).
//                   Each message's JSON data picks the handler's answer:
//                     {"outcome":"success"|"retry"|"drop"|"404"|"500"|"garbage-2xx"|"slow",
//                      "retryTimes":N,   answer the outcome the first N deliveries of this message, then SUCCESS
//                      "slowMs":M,       for "slow": wait M ms (default 5000) before SUCCESS
//                      "key":"k"}        names the message for counting (default: the CloudEvent id; raw
//                                        deliveries get a fresh id each time, so give them a key)
//                   No outcome (or data that is not a JSON object) means success.
//                   GET /deliveries?topic=T lists what arrived: id, key, topic, pubsubname, type, source,
//                   datacontenttype, route (the app path daprd posted to), data (as JSON: structured data, JSON inside string data of +json types or
//                   inside data_base64), dataBase64 (raw bytes of data_base64 deliveries), traceparent,
//                   deliveryCount, outcome, instance, receivedAt.
//   SUBSCRIPTION_RULES  optional routing rules for those subscriptions, a JSON array of
//                   {"pubsubname":"pubsub","topic":"orders","match":"event.type == \"alarm\"","path":"/alarms"};
//                   the default route of subscription i is /subscriptions/{i}. Rule paths record deliveries too.
//   BINDINGS        input bindings, ','- or ';'-separated names, e.g. "mqtt-in"; GET /binding-events?name=N lists
//                   each delivery's body (text and base64), metadata headers (MQTT "topic" included), instance.
//   ACTORS          "true" hosts actor type Probe (methods Enter, GetCallOrder, Count, GetActivations,
//                   ScheduleReminder, CancelReminder, GetReminderFirings, ScheduleTimer, CancelTimer,
//                   GetTimerFirings; see ProbeActor.cs). GET /activations lists activations per id in this process.
//   ACTOR_IDLE_TIMEOUT_SECONDS  optional actorIdleTimeout reported in /dapr/config (default 60 min).
//   ACTOR_APP_TURN_LOCK  default "false" here (the library's default is true): without the app-side per-id lock,
//                   Probe.Enter observes the sidecar's own turn-based concurrency and fails (500, "Concurrent entry")
//                   when two calls for one id overlap. Activation stays serialised in the app either way.
//
// Always served: /echo/** (any verb: method, path, query, body, headers as JSON), /status/{code} (that status with a
// ProblemDetails body), GET /pid, GET /healthz.
using DaprIoT.ConformanceApp;
using DaprIoT.Dapr.Security;

var builder = WebApplication.CreateBuilder(args);
var settings = ConformanceSettings.Read(builder.Configuration);
builder.WebHost.UseUrls($"http://127.0.0.1:{settings.AppPort}");
builder.Services.AddProblemDetails();
builder.Services.AddSingleton(settings);
builder.Services.AddSingleton<DeliveryLog>();
builder.AddConformanceActors(settings);

var app = builder.Build();
app.UseDaprAppApiToken();
app.MapConformanceInvocation(settings);
app.MapConformanceSubscriptions(settings);
app.MapConformanceBindings(settings);
app.MapConformanceActors(settings);
app.Run();
