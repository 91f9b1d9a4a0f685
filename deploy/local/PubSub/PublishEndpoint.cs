using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// <c>POST|PUT /v1.0/publish/{pubsubname}/{topic…}</c> and bulk publish (§3.1, §3.6): the HTTP door to
/// <see cref="Publisher"/>, with <c>metadata.*</c> query parameters as the request's metadata.
/// </summary>
internal sealed class PublishEndpoint(Publisher publisher)
{
    public void Map(IEndpointRouteBuilder routes)
    {
        string[] methods = ["POST", "PUT"];
        routes.MapMethods("/v1.0/publish/{pubsubname}/{**topic}", methods,
            (HttpContext http, string pubsubname, string? topic) => PublishAsync(http, pubsubname, topic));
        routes.MapMethods("/v1.0/publish", methods, (RequestDelegate)(http => PublishAsync(http, "", "")));
        // Bulk publish: alpha path, and the stable one daprd 1.17 added.
        foreach (var prefix in (string[])["/v1.0-alpha1/publish/bulk", "/v1.0/publish/bulk"])
            routes.MapPost(prefix + "/{pubsubname}/{**topic}",
                (HttpContext http, string pubsubname, string? topic) => BulkPublishAsync(http, pubsubname, topic));
    }

    private static async Task Answer(HttpContext http, Func<Task> publish)
    {
        try
        {
            await publish();
        }
        catch (DaprApiException e)
        {
            await e.WriteAsync(http.Response, http.RequestAborted);
        }
    }

    private Task PublishAsync(HttpContext http, string pubsubName, string? topic) => Answer(http, async () =>
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var trace = EventTrace.FromRequest(http.Request.Headers.TraceParent, http.Request.Headers.TraceState);
        await publisher.PublishAsync(pubsubName, topic, buffer.ToArray(), http.Request.ContentType, QueryMetadata(http), trace, http.RequestAborted);
        http.Response.Headers.TraceParent = trace.Traceparent;
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    });

    /// <summary>A JSON array of <c>{"entryId","event","contentType","metadata"}</c>; 500 with <c>failedEntries</c> when some fail.</summary>
    private Task BulkPublishAsync(HttpContext http, string pubsubName, string? topic) => Answer(http, async () =>
    {
        var metadata = QueryMetadata(http);
        publisher.Validate(pubsubName, topic, metadata);
        List<BulkEntry> entries;
        try
        {
            entries = await BulkEntry.ReadAsync(http.Request.Body, http.RequestAborted);
        }
        catch (FormatException e)
        {
            throw new DaprApiException(400, Grpc.Core.StatusCode.InvalidArgument, "ERR_PUBSUB_EVENTS_SER",
                $"error when unmarshaling the request for topic {topic} pubsub {pubsubName}: {e.Message}");
        }
        var trace = EventTrace.FromRequest(http.Request.Headers.TraceParent, http.Request.Headers.TraceState);
        var failed = await publisher.BulkPublishAsync(pubsubName, topic, entries, metadata, trace, http.RequestAborted);
        if (failed.Count == 0)
        {
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        var failedEntries = new JsonArray([.. failed.Select(f => (JsonNode)new JsonObject { ["entryId"] = f.EntryId, ["error"] = f.Error })]);
        http.Response.StatusCode = StatusCodes.Status500InternalServerError;
        await http.Response.WriteAsJsonAsync(new JsonObject { ["failedEntries"] = failedEntries, ["errorCode"] = "ERR_PUBSUB_PUBLISH_MESSAGE" }, http.RequestAborted);
    });

    /// <summary><c>metadata.*</c> query parameters, prefix stripped, first value wins.</summary>
    private static Dictionary<string, string> QueryMetadata(HttpContext http)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in http.Request.Query)
            if (key.StartsWith("metadata.", StringComparison.OrdinalIgnoreCase) && key.Length > "metadata.".Length)
                metadata.TryAdd(key["metadata.".Length..], values.FirstOrDefault() ?? "");
        return metadata;
    }
}
