using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.Sidecar.Grpc;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// The state building block of one sidecar: daprd's <c>/v1.0/state/…</c> HTTP API (protocol §7, gotcha 14) and the
/// state methods of its gRPC API (<see cref="StateGrpc"/>), both over one <see cref="StateService"/>.
/// </summary>
public sealed partial class StateApi : ISidecarFeature
{
    private readonly SidecarContext _sidecar;
    private readonly StateService _state;
    private readonly ILogger _logger;

    public StateApi(SidecarContext sidecar)
    {
        _sidecar = sidecar;
        _state = new StateService(sidecar);
        _logger = sidecar.LoggerFactory.CreateLogger<StateApi>();
    }

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
        string[] postOrPut = [HttpMethods.Post, HttpMethods.Put];
        routes.MapGet("/v1.0/state/{storeName}/{key}", Handle(GetAsync));
        routes.MapDelete("/v1.0/state/{storeName}/{key}", Handle(DeleteAsync));
        routes.MapMethods("/v1.0/state/{storeName}", postOrPut, Handle(SaveAsync));
        routes.MapMethods("/v1.0/state/{storeName}/bulk", postOrPut, Handle(BulkGetAsync));
        routes.MapMethods("/v1.0/state/{storeName}/transaction", postOrPut, Handle(TransactAsync));
        routes.MapMethods("/v1.0-alpha1/state/{storeName}/query", postOrPut, Handle((http, _) =>
        {
            _state.Query(StoreName(http));
            return Task.CompletedTask;
        }));
    }

    public void MapGrpc(GrpcApi api) => new StateGrpc(_state).Map(api);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Sets each opened state component's <c>capabilities</c> (this block knows them: <c>ACTOR</c> only on the actor
    /// store), adding the component's entry when the sidecar has not listed it.
    /// </summary>
    public void DescribeMetadata(JsonObject metadata)
    {
        if (metadata["components"] is not JsonArray components)
        {
            components = [];
            metadata["components"] = components;
        }
        foreach (var component in _sidecar.Components.Where(c => c.Kind == "state" && _sidecar.StateStores.ContainsKey(c.Name)))
        {
            var capabilities = new JsonArray(StateStoreFactory.Capabilities(component).Select(c => (JsonNode)c).ToArray());
            if (components.OfType<JsonObject>().FirstOrDefault(e => e["name"]?.GetValue<string>() == component.Name) is { } entry)
            {
                entry["capabilities"] = capabilities;
            }
            else
            {
                components.Add(new JsonObject
                {
                    ["name"] = component.Name,
                    ["type"] = component.Type,
                    ["version"] = component.Version,
                    ["capabilities"] = capabilities,
                });
            }
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task GetAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var item = await _state.GetAsync(StoreName(http), (string)http.GetRouteValue("key")!, cancellationToken);
        if (item is null)
        {
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.Headers.ETag = item.ETag;
        if (item.ExpiresAt is { } expiresAt) http.Response.Headers["metadata.ttlExpireTime"] = Rfc3339(expiresAt);
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = item.Value.Length;
        await http.Response.Body.WriteAsync(item.Value, cancellationToken);
    }

    private async Task DeleteAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        // daprd takes If-Match verbatim, so a quoted ETag does not match.
        var request = new StateDeleteRequest((string)http.GetRouteValue("key")!, http.Request.Headers.IfMatch.FirstOrDefault(),
            query["concurrency"].FirstOrDefault(), query["consistency"].FirstOrDefault());
        await _state.DeleteAsync(StoreName(http), request, cancellationToken);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task SaveAsync(HttpContext http, CancellationToken cancellationToken)
    {
        IReadOnlyList<StateWriteRequest> items;
        using (var body = await StateRequests.ParseAsync(http.Request, cancellationToken))
        {
            items = StateRequests.SaveItems(body.RootElement);
        }
        await _state.SaveAsync(StoreName(http), items, QueryMetadata(http.Request), cancellationToken);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task BulkGetAsync(HttpContext http, CancellationToken cancellationToken)
    {
        BulkGetRequest request;
        using (var body = await StateRequests.ParseAsync(http.Request, cancellationToken))
        {
            request = StateRequests.BulkGet(body.RootElement);
        }
        var results = await _state.BulkGetAsync(StoreName(http), request.Keys, request.Parallelism, cancellationToken);

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var result in results)
            {
                json.WriteStartObject();
                json.WriteString("key", result.Key);
                if (result.Error is { } error)
                {
                    json.WriteString("error", error);
                }
                else if (result.Item is { } item)
                {
                    json.WritePropertyName("data");
                    WriteData(json, item.Value);
                    json.WriteString("etag", item.ETag);
                    if (item.ExpiresAt is { } expiresAt)
                    {
                        json.WriteStartObject("metadata");
                        json.WriteString("ttlExpireTime", Rfc3339(expiresAt));
                        json.WriteEndObject();
                    }
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = buffer.WrittenCount;
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken);
    }

    private async Task TransactAsync(HttpContext http, CancellationToken cancellationToken)
    {
        TransactionRequest request;
        using (var body = await StateRequests.ParseAsync(http.Request, cancellationToken))
        {
            request = StateRequests.Transaction(body.RootElement);
        }
        await _state.TransactAsync(StoreName(http), request, QueryMetadata(http.Request), cancellationToken);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private RequestDelegate Handle(Func<HttpContext, CancellationToken, Task> handler) => async http =>
    {
        try
        {
            await handler(http, http.RequestAborted);
        }
        catch (DaprApiException e)
        {
            Log.RequestFailed(_logger, http.Request.Method, http.Request.Path, e.HttpStatus, e.ErrorCode, e.Message);
            await e.WriteAsync(http.Response, http.RequestAborted);
        }
    };

    private static string StoreName(HttpContext http) => (string)http.GetRouteValue("storeName")!;

    private static Dictionary<string, string> QueryMetadata(HttpRequest request)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Query)
        {
            if (name.StartsWith("metadata.", StringComparison.Ordinal)) metadata[name["metadata.".Length..]] = values.FirstOrDefault() ?? "";
        }
        return metadata;
    }

    private static void WriteData(Utf8JsonWriter json, byte[] value)
    {
        var reader = new Utf8JsonReader(value);
        try
        {
            while (reader.Read()) { }
            json.WriteRawValue(value, skipInputValidation: true);
        }
        catch (JsonException)
        {
            // Not JSON (written by something other than this API): daprd could not encode it; return it as text.
            json.WriteStringValue(Encoding.UTF8.GetString(value));
        }
    }

    internal static string Rfc3339(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "State API {Method} {Path} answered {Status} {ErrorCode}: {Detail}")]
        public static partial void RequestFailed(ILogger logger, string method, string path, int status, string errorCode, string detail);
    }
}
