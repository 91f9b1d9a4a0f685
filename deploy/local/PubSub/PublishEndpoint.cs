using System.Globalization;
using DaprIoT.LocalRuntime.PubSub.Brokers;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// <c>POST|PUT /v1.0/publish/{pubsubname}/{topic…}</c> with daprd's checks, envelope and error codes (§3.1).
/// </summary>
internal sealed class PublishEndpoint(SidecarContext sidecar, PubSubComponents components, TimeProvider clock, ILogger logger)
{
    public void Map(IEndpointRouteBuilder routes)
    {
        string[] methods = ["POST", "PUT"];
        routes.MapMethods("/v1.0/publish/{pubsubname}/{**topic}", methods,
            (HttpContext http, string pubsubname, string? topic) => PublishAsync(http, pubsubname, topic));
        routes.MapMethods("/v1.0/publish", methods, (Func<HttpContext, Task<IResult>>)(http => PublishAsync(http, "", "")));
    }

    private async Task<IResult> PublishAsync(HttpContext http, string pubsubName, string? topic)
    {
        if (components.Count == 0)
            return Error(400, "ERR_PUBSUB_NOT_CONFIGURED", "no pubsub is configured");
        if (pubsubName.Length == 0)
            return Error(404, "ERR_PUBSUB_EMPTY", "pubsub name is empty");
        if (!components.TryGet(pubsubName, out var component))
            return Error(404, "ERR_PUBSUB_NOT_FOUND", $"pubsub {pubsubName} not found");
        if (string.IsNullOrEmpty(topic))
            return Error(404, "ERR_TOPIC_NAME_EMPTY", $"topic is empty in pubsub {pubsubName}");
        if (!component.Scopes.MayPublish(topic))
            return Error(403, "ERR_PUBSUB_FORBIDDEN", $"topic {topic} is not allowed for app id {sidecar.AppId}");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in http.Request.Query)
            if (key.StartsWith("metadata.", StringComparison.OrdinalIgnoreCase) && key.Length > "metadata.".Length)
                metadata.TryAdd(key["metadata.".Length..], values.FirstOrDefault() ?? "");
        var raw = false;
        if (metadata.TryGetValue("rawPayload", out var rawText) && !GoBool.TryParse(rawText, out raw))
            return Error(400, "ERR_PUBSUB_REQUEST_METADATA", $"failed deserializing metadata: rawPayload '{rawText}' is not true or false");
        int? ttl = null;
        if (metadata.TryGetValue("ttlInSeconds", out var ttlText))
        {
            if (!int.TryParse(ttlText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
                return Error(400, "ERR_PUBSUB_REQUEST_METADATA", $"failed deserializing metadata: ttlInSeconds '{ttlText}' is not a whole number of seconds");
            ttl = seconds;
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.ToArray();
        var trace = TraceContext.ChildOf(http.Request.Headers.TraceParent, http.Request.Headers.TraceState);
        var contentType = http.Request.ContentType;
        var now = clock.GetLocalNow();

        byte[] data;
        if (raw)
        {
            data = body;
        }
        else
        {
            var envelope = contentType?.Split(';', 2)[0].Trim().Equals(CloudEvents.ContentType, StringComparison.OrdinalIgnoreCase) == true
                ? CloudEvents.Complete(body, pubsubName, topic, trace, now)
                : CloudEvents.Wrap(body, contentType, sidecar.AppId, pubsubName, topic, trace, metadata, now);
            if (envelope is null)
                return Error(500, "ERR_PUBSUB_CLOUD_EVENTS_SER",
                    $"error when marshalling cloud event envelope for topic {topic} pubsub {pubsubName}: the body is not a JSON object");
            // Brokers without native TTL get the expiry written into the event; the subscribing sidecar drops it later.
            if (ttl is { } seconds && !component.Broker.HasNativeTtl)
                envelope["expiration"] = CloudEvents.FormatTime(clock.GetUtcNow().AddSeconds(seconds));
            data = CloudEvents.Serialize(envelope);
        }

        try
        {
            await PublishWithRetryAsync(component.Broker, topic, data, metadata, http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            PubSubLog.PublishFailed(logger, pubsubName, topic, e.Message);
            return Error(500, "ERR_PUBSUB_PUBLISH_MESSAGE", $"error when publish to topic {topic} in pubsub {pubsubName}: {e.Message}");
        }
        http.Response.Headers.TraceParent = trace.Traceparent;
        return Results.NoContent();
    }

    /// <summary>Applies the component's outbound resiliency retry policy, if any, to the broker call.</summary>
    private async Task PublishWithRetryAsync(IPubSubBroker broker, string topic, byte[] data,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var policies = sidecar.Resiliency.ForComponentOutbound(broker.ComponentName);
        var retry = policies?.Retry ?? RetryPolicy.None;
        for (var retries = 0; ; retries++)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (policies?.Timeout is { } timeout) attempt.CancelAfter(timeout);
            try
            {
                await broker.PublishAsync(topic, data, metadata, attempt.Token);
                return;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested && retry.AllowsRetry(retries))
            {
                await Task.Delay(retry.DelayBefore(retries + 1), clock, cancellationToken);
            }
        }
    }

    private static IResult Error(int status, string errorCode, string message) =>
        Results.Json(new DaprError(errorCode, message), statusCode: status);
}
