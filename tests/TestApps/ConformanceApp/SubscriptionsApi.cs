using System.Text.Json;
using DaprIoT.Dapr.CloudEvents;
using DaprIoT.Dapr.PubSub;

namespace DaprIoT.ConformanceApp;

/// <summary>
/// Programmatic subscriptions from SUBSCRIPTIONS. The message data chooses the answer:
/// <c>{"outcome":"success"|"retry"|"drop"|"404"|"500"|"garbage-2xx"|"slow","retryTimes":N,"slowMs":M,"key":"..."}</c>.
/// </summary>
public static class SubscriptionsApi
{
    public static void MapConformanceSubscriptions(this WebApplication app, ConformanceSettings settings)
    {
        var log = app.Services.GetRequiredService<DeliveryLog>();
        for (var index = 0; index < settings.Subscriptions.Count; index++)
        {
            var subscription = settings.Subscriptions[index];
            var options = new TopicHandlerOptions { DeadLetterTopic = subscription.DeadLetterTopic, RawPayload = subscription.RawPayload };
            foreach (var rule in subscription.Rules)
            {
                options.Rules.Add(new TopicRule(rule.Match, rule.Path, (cloudEvent, context) => HandleAsync(cloudEvent, context, log, settings.Instance)));
            }

            app.MapTopicHandler(subscription.PubSubName, subscription.Topic, $"/subscriptions/{index}",
                (cloudEvent, context) => HandleAsync(cloudEvent, context, log, settings.Instance), options);
        }

        app.MapGet("/deliveries", (string? topic) => Results.Json(log.ForTopic(topic)));
    }

    private static async Task<TopicResponse> HandleAsync(CloudEvent cloudEvent, HttpContext context, DeliveryLog log, string instance)
    {
        var data = cloudEvent.DataAsJson();
        var instruction = data is { ValueKind: JsonValueKind.Object } ? data.Value : default;
        var outcome = Text(instruction, "outcome") ?? "success";
        // Raw-payload deliveries get a fresh id each time, so a test can name the message itself with "key".
        var key = Text(instruction, "key") ?? cloudEvent.Id ?? "";
        var count = log.CountDelivery(key);
        log.Add(new Delivery(cloudEvent.Id, key, cloudEvent.Topic, cloudEvent.PubSubName, cloudEvent.Type, cloudEvent.Source,
            cloudEvent.DataContentType, context.Request.Path.Value ?? "", data, cloudEvent.IsBase64Data ? Convert.ToBase64String(cloudEvent.DataBytes.Span) : null, cloudEvent.TraceParent, count, outcome, instance, DateTimeOffset.UtcNow));

        var retryTimes = Number(instruction, "retryTimes");
        if (retryTimes is { } times && count > times)
        {
            return TopicResponse.Success;
        }

        switch (outcome)
        {
            case "retry":
                return TopicResponse.Retry;
            case "drop":
                return TopicResponse.Drop;
            case "404":
                return TopicResponse.Http(Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found on purpose"));
            case "500":
                return TopicResponse.Http(Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Failed on purpose"));
            case "garbage-2xx":
                return TopicResponse.Http(Results.Text("this is not json", "text/plain", statusCode: StatusCodes.Status200OK));
            case "slow":
                await Task.Delay(TimeSpan.FromMilliseconds(Number(instruction, "slowMs") ?? 5000), context.RequestAborted);
                return TopicResponse.Success;
            default:
                return TopicResponse.Success;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;
}
