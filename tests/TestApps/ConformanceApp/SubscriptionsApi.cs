using System.Text.Json;
using Dapr;
using Dapr.AspNetCore;

namespace DaprIoT.ConformanceApp;

/// <summary>
/// Programmatic subscriptions from SUBSCRIPTIONS (and SUBSCRIPTION_RULES), declared with the SDK's <c>WithTopic</c> and
/// <c>WithBulkSubscribe</c> so <c>MapSubscribeHandler</c> reports them. The message data chooses the answer:
/// <c>{"outcome":"success"|"retry"|"drop"|"404"|"500"|"garbage-2xx"|"slow","retryTimes":N,"slowMs":M,"key":"..."}</c>.
/// </summary>
public static class SubscriptionsApi
{
    public static void MapConformanceSubscriptions(this IEndpointRouteBuilder api, ConformanceSettings settings)
    {
        // Several topics may route to one path (a rule path shared by subscriptions): each path is mapped once,
        // carrying every topic that routes there.
        var topicsByPath = new Dictionary<string, List<TopicOptions>>(StringComparer.Ordinal);
        var bulkByPath = new Dictionary<string, List<BulkSubscribeTopicOptions>>(StringComparer.Ordinal);
        for (var index = 0; index < settings.Subscriptions.Count; index++)
        {
            var subscription = settings.Subscriptions[index];
            var defaultPath = $"/subscriptions/{index}";
            // The SDK takes the dead-letter topic from the topic's first route by priority, so every route repeats it.
            Add(topicsByPath, defaultPath, Topic(subscription, match: null, priority: 0));
            if (subscription.Bulk)
            {
                Add(bulkByPath, defaultPath, new BulkSubscribeTopicOptions { TopicName = subscription.Topic });
            }

            for (var rule = 0; rule < subscription.Rules.Count; rule++)
            {
                var path = "/" + subscription.Rules[rule].Path.TrimStart('/');
                Add(topicsByPath, path, Topic(subscription, subscription.Rules[rule].Match, priority: rule + 1));
                if (subscription.Bulk)
                {
                    Add(bulkByPath, path, new BulkSubscribeTopicOptions { TopicName = subscription.Topic });
                }
            }
        }

        var log = api.ServiceProvider.GetRequiredService<DeliveryLog>();
        foreach (var (path, topics) in topicsByPath)
        {
            RouteHandlerBuilder endpoint;
            if (bulkByPath.TryGetValue(path, out var bulk))
            {
                endpoint = api.MapPost(path, (BulkSubscribeMessage<JsonElement> message, HttpContext context) =>
                    HandleBulkAsync(message, context, log, settings.Instance));
                foreach (var options in bulk)
                {
                    endpoint.WithBulkSubscribe(options);
                }
            }
            else
            {
                endpoint = api.MapPost(path, (Delegate)((HttpContext context) => HandleAsync(context, log, settings.Instance)));
            }

            foreach (var topic in topics)
            {
                endpoint.WithTopic(topic);
            }
        }

        api.MapGet("/deliveries", (string? topic) => Results.Json(log.ForTopic(topic)));
    }

    private static TopicOptions Topic(SubscriptionSetting subscription, string? match, int priority) => new()
    {
        PubsubName = subscription.PubSubName,
        Name = subscription.Topic,
        DeadLetterTopic = subscription.DeadLetterTopic,
        EnableRawPayload = subscription.RawPayload,
        Match = match,
        Priority = priority,
    };

    private static void Add<T>(Dictionary<string, List<T>> map, string path, T item)
    {
        if (!map.TryGetValue(path, out var list))
        {
            map[path] = list = [];
        }

        list.Add(item);
    }

    /// <summary>
    /// One event, already unwrapped by <c>UseCloudEvents</c>: the body is the event data, the content type its
    /// datacontenttype, and the other CloudEvent attributes arrive as <c>Cloudevent.*</c> headers.
    /// </summary>
    private static async Task<IResult> HandleAsync(HttpContext context, DeliveryLog log, string instance)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var instruction = new Instruction(ParseJson(body));
        // pubsubname is not among the forwarded CloudEvent attributes; the sidecar sends it as a header of its own.
        var count = Record(log, instruction, Header(context, "Cloudevent.id"), Header(context, "Cloudevent.topic"), Header(context, "pubsubname"),
            Header(context, "Cloudevent.type"), Header(context, "Cloudevent.source"), context.Request.ContentType, context.Request.Path.Value ?? "", body,
            context.Request.Headers.TraceParent.ToString(), instance);

        if (instruction.RetryTimes is { } times && count > times)
        {
            return Status("SUCCESS");
        }

        switch (instruction.Outcome)
        {
            case "retry":
                return Status("RETRY");
            case "drop":
                return Status("DROP");
            case "404":
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found on purpose");
            case "500":
                return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Failed on purpose");
            case "garbage-2xx":
                return Results.Text("this is not json", "text/plain", statusCode: StatusCodes.Status200OK);
            case "slow":
                await Task.Delay(TimeSpan.FromMilliseconds(instruction.SlowMs ?? 5000), context.RequestAborted);
                return Status("SUCCESS");
            default:
                return Status("SUCCESS");
        }
    }

    /// <summary>A bulk delivery: each entry's event is a CloudEvent (or the raw payload), answered with a status per entry.</summary>
    private static async Task<IResult> HandleBulkAsync(BulkSubscribeMessage<JsonElement> message, HttpContext context, DeliveryLog log, string instance)
    {
        var statuses = new List<BulkSubscribeAppResponseEntry>();
        var slowest = TimeSpan.Zero;
        foreach (var entry in message.Entries ?? [])
        {
            var cloudEvent = entry.ContentType?.StartsWith("application/cloudevents+json", StringComparison.OrdinalIgnoreCase) == true
                && entry.Event.ValueKind == JsonValueKind.Object ? entry.Event : (JsonElement?)null;
            var (data, dataBytes) = cloudEvent is { } ce ? EventData(ce) : (entry.Event, null);
            var instruction = new Instruction(data);
            var count = Record(log, instruction, Text(cloudEvent, "id"), Text(cloudEvent, "topic") ?? message.Topic, Text(cloudEvent, "pubsubname"),
                Text(cloudEvent, "type"), Text(cloudEvent, "source"), Text(cloudEvent, "datacontenttype") ?? entry.ContentType,
                context.Request.Path.Value ?? "", dataBytes ?? (data is { } json ? JsonSerializer.SerializeToUtf8Bytes(json) : []),
                Text(cloudEvent, "traceparent") ?? context.Request.Headers.TraceParent.ToString(), instance);

            var status = instruction.RetryTimes is { } times && count > times ? BulkSubscribeAppResponseStatus.SUCCESS : instruction.Outcome switch
            {
                "retry" or "500" => BulkSubscribeAppResponseStatus.RETRY,
                "drop" or "404" => BulkSubscribeAppResponseStatus.DROP,
                _ => BulkSubscribeAppResponseStatus.SUCCESS,
            };
            if (instruction.Outcome == "slow" && status == BulkSubscribeAppResponseStatus.SUCCESS)
            {
                slowest = TimeSpan.FromMilliseconds(Math.Max(slowest.TotalMilliseconds, instruction.SlowMs ?? 5000));
            }

            statuses.Add(new BulkSubscribeAppResponseEntry(entry.EntryId, status));
        }

        await Task.Delay(slowest, context.RequestAborted);
        return Results.Json(new BulkSubscribeAppResponse(statuses));
    }

    /// <summary>A CloudEvent's data as JSON (when it is JSON) and, for data_base64, its bytes.</summary>
    private static (JsonElement? Data, byte[]? Bytes) EventData(JsonElement cloudEvent)
    {
        if (Text(cloudEvent, "data_base64") is { } base64)
        {
            var bytes = Convert.FromBase64String(base64);
            return (ParseJson(bytes), bytes);
        }

        if (!cloudEvent.TryGetProperty("data", out var data))
        {
            return (null, []);
        }

        // JSON data of a +json type may arrive as a string holding the JSON text.
        return data.ValueKind == JsonValueKind.String && ParseJson(System.Text.Encoding.UTF8.GetBytes(data.GetString()!)) is { } inner
            ? (inner, null)
            : (data, null);
    }

    /// <summary>Logs one delivery and returns how often its key has been delivered, this one included.</summary>
    private static int Record(DeliveryLog log, Instruction instruction, string? id, string? topic, string? pubsubName, string? type, string? source,
        string? contentType, string route, byte[] body, string? traceParent, string instance)
    {
        // Raw-payload deliveries get a fresh id each time, so a test can name the message itself with "key".
        var key = instruction.Key ?? id ?? "";
        var count = log.CountDelivery(key);
        var binary = contentType is { } media && !IsJsonOrText(media);
        log.Add(new Delivery(id, key, topic, pubsubName, type, source, contentType, route, instruction.Data,
            binary ? Convert.ToBase64String(body) : null, string.IsNullOrEmpty(traceParent) ? null : traceParent, count, instruction.Outcome, instance, DateTimeOffset.UtcNow));
        return count;
    }

    private static bool IsJsonOrText(string contentType)
    {
        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static IResult Status(string status) => Results.Json(new { status });

    private static string? Header(HttpContext context, string name) =>
        context.Request.Headers.TryGetValue(name, out var value) && value.Count > 0 ? value.ToString() : null;

    private static JsonElement? ParseJson(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>What the message data asks of the handler.</summary>
    private sealed class Instruction(JsonElement? data)
    {
        public JsonElement? Data { get; } = data;

        public string Outcome => Text(Data, "outcome") ?? "success";

        public string? Key => Text(Data, "key");

        public int? RetryTimes => Number("retryTimes");

        public int? SlowMs => Number("slowMs");

        private int? Number(string name) =>
            Data is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;
    }
}
