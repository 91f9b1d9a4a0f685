using System.Globalization;
using System.Text.Json.Nodes;
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
        // Bulk publish: alpha path, and the stable one daprd 1.17 added.
        foreach (var prefix in (string[])["/v1.0-alpha1/publish/bulk", "/v1.0/publish/bulk"])
            routes.MapPost(prefix + "/{pubsubname}/{**topic}",
                (HttpContext http, string pubsubname, string? topic) => BulkPublishAsync(http, pubsubname, topic));
    }

    private async Task<IResult> PublishAsync(HttpContext http, string pubsubName, string? topic)
    {
        if (Target(pubsubName, topic) is { } refused) return refused;
        var component = components.TryGet(pubsubName, out var found) ? found : throw new InvalidOperationException();
        var metadata = QueryMetadata(http);
        if (ReadOptions(metadata, out var raw, out var ttl) is { } problem)
            return Error(400, "ERR_PUBSUB_REQUEST_METADATA", $"failed deserializing metadata: {problem}");

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var trace = EventTrace.FromRequest(http.Request.Headers.TraceParent, http.Request.Headers.TraceState);
        var data = Envelope(component, topic!, buffer.ToArray(), http.Request.ContentType, metadata, raw, ttl, trace);
        if (data is null)
            return Error(500, "ERR_PUBSUB_CLOUD_EVENTS_SER",
                $"error when marshalling cloud event envelope for topic {topic} pubsub {pubsubName}: the body is not a JSON object");

        try
        {
            await PublishWithRetryAsync(component.Broker, topic!, data, metadata, http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            PubSubLog.PublishFailed(logger, pubsubName, topic!, e.Message);
            return Error(500, "ERR_PUBSUB_PUBLISH_MESSAGE", $"error when publish to topic {topic} in pubsub {pubsubName}: {e.Message}");
        }
        http.Response.Headers.TraceParent = trace.Traceparent;
        return Results.NoContent();
    }

    /// <summary>
    /// Bulk publish (§3.6): a JSON array of <c>{"entryId","event","contentType","metadata"}</c>, each wrapped like a
    /// single publish (entry metadata over the request's); 500 with <c>failedEntries</c> when some fail.
    /// </summary>
    private async Task<IResult> BulkPublishAsync(HttpContext http, string pubsubName, string? topic)
    {
        if (Target(pubsubName, topic) is { } refused) return refused;
        var component = components.TryGet(pubsubName, out var found) ? found : throw new InvalidOperationException();
        var requestMetadata = QueryMetadata(http);
        if (ReadOptions(requestMetadata, out _, out _) is { } problem)
            return Error(400, "ERR_PUBSUB_REQUEST_METADATA", $"failed deserializing metadata: {problem}");

        List<BulkEntry> entries;
        try
        {
            entries = await BulkEntry.ReadAsync(http.Request.Body, http.RequestAborted);
        }
        catch (FormatException e)
        {
            return Error(400, "ERR_PUBSUB_EVENTS_SER", $"error when unmarshaling the request for topic {topic} pubsub {pubsubName}: {e.Message}");
        }
        var trace = EventTrace.FromRequest(http.Request.Headers.TraceParent, http.Request.Headers.TraceState);
        var failed = new JsonArray();
        foreach (var entry in entries)
        {
            var metadata = new Dictionary<string, string>(requestMetadata, StringComparer.Ordinal);
            foreach (var (key, value) in entry.Metadata) metadata[key] = value;
            string? error = ReadOptions(metadata, out var raw, out var ttl);
            if (error is null)
            {
                var data = Envelope(component, topic!, entry.Data, entry.ContentType, metadata, raw, ttl, trace);
                try
                {
                    if (data is null) error = "the event is not a JSON object CloudEvent";
                    else await PublishWithRetryAsync(component.Broker, topic!, data, metadata, http.RequestAborted);
                }
                catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
                {
                    PubSubLog.PublishFailed(logger, pubsubName, topic!, e.Message);
                    error = e.Message;
                }
            }
            if (error is not null) failed.Add(new JsonObject { ["entryId"] = entry.EntryId, ["error"] = error });
        }
        if (failed.Count == 0) return Results.NoContent();
        return Results.Json(new JsonObject { ["failedEntries"] = failed, ["errorCode"] = "ERR_PUBSUB_PUBLISH_MESSAGE" }, statusCode: 500);
    }

    /// <summary>daprd's checks, in its order, of the pub/sub name and topic; null when publishing may go ahead.</summary>
    private IResult? Target(string pubsubName, string? topic)
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
        return null;
    }

    /// <summary><c>metadata.*</c> query parameters, prefix stripped, first value wins.</summary>
    private static Dictionary<string, string> QueryMetadata(HttpContext http)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in http.Request.Query)
            if (key.StartsWith("metadata.", StringComparison.OrdinalIgnoreCase) && key.Length > "metadata.".Length)
                metadata.TryAdd(key["metadata.".Length..], values.FirstOrDefault() ?? "");
        return metadata;
    }

    /// <summary>Reads <c>rawPayload</c> and <c>ttlInSeconds</c>; returns what is wrong with them, or null.</summary>
    private static string? ReadOptions(IReadOnlyDictionary<string, string> metadata, out bool raw, out int? ttl)
    {
        raw = false;
        ttl = null;
        if (metadata.TryGetValue("rawPayload", out var rawText) && !GoBool.TryParse(rawText, out raw))
            return $"rawPayload '{rawText}' is not true or false";
        if (metadata.TryGetValue("ttlInSeconds", out var ttlText))
        {
            if (!int.TryParse(ttlText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
                return $"ttlInSeconds '{ttlText}' is not a whole number of seconds";
            ttl = seconds;
        }
        return null;
    }

    /// <summary>The bytes handed to the broker: the raw body, or the CloudEvent daprd builds; null when an app's own CloudEvent is not a JSON object.</summary>
    private byte[]? Envelope(PubSubComponent component, string topic, byte[] body, string? contentType,
        IReadOnlyDictionary<string, string> metadata, bool raw, int? ttl, EventTrace trace)
    {
        if (raw) return body;
        var now = clock.GetLocalNow();
        var pubsubName = component.Spec.Name;
        var envelope = contentType?.Split(';', 2)[0].Trim().Equals(CloudEvents.ContentType, StringComparison.OrdinalIgnoreCase) == true
            ? CloudEvents.Complete(body, pubsubName, topic, trace, now)
            : CloudEvents.Wrap(body, contentType, sidecar.AppId, pubsubName, topic, trace, metadata, now);
        if (envelope is null) return null;
        // Brokers without native TTL get the expiry written into the event; the subscribing sidecar drops it later.
        if (ttl is { } seconds && !component.Broker.HasNativeTtl)
            envelope["expiration"] = CloudEvents.FormatTime(clock.GetUtcNow().AddSeconds(seconds));
        return CloudEvents.Serialize(envelope);
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
