using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// The state building block of one sidecar: daprd's <c>/v1.0/state/…</c> HTTP API over the sidecar's opened
/// stores, with daprd's key prefixes, status codes and error bodies (protocol §7, gotcha 14).
/// </summary>
public sealed partial class StateApi : ISidecarFeature
{
    private static readonly IReadOnlyDictionary<string, string> EmptyMetadata = new Dictionary<string, string>();

    private readonly SidecarContext _sidecar;
    private readonly IReadOnlyDictionary<string, StateKeyPrefix> _prefixes;
    private readonly ILogger _logger;

    public StateApi(SidecarContext sidecar)
    {
        _sidecar = sidecar;
        _logger = sidecar.LoggerFactory.CreateLogger<StateApi>();
        // A bad keyPrefix fails here, at sidecar start, naming the component file.
        _prefixes = sidecar.StateStores.Keys.ToDictionary(name => name, name =>
            sidecar.Components.FirstOrDefault(c => c.Kind == "state" && c.Name == name) is { } component
                ? StateKeyPrefix.For(component, sidecar.AppId, sidecar.Namespace)
                : new StateKeyPrefix(sidecar.AppId), StringComparer.Ordinal);
    }

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
        string[] postOrPut = [HttpMethods.Post, HttpMethods.Put];
        routes.MapGet("/v1.0/state/{storeName}/{key}", Handle(GetAsync));
        routes.MapDelete("/v1.0/state/{storeName}/{key}", Handle(DeleteAsync));
        routes.MapMethods("/v1.0/state/{storeName}", postOrPut, Handle(SaveAsync));
        routes.MapMethods("/v1.0/state/{storeName}/bulk", postOrPut, Handle(BulkGetAsync));
        routes.MapMethods("/v1.0/state/{storeName}/transaction", postOrPut, Handle(TransactAsync));
        routes.MapMethods("/v1.0-alpha1/state/{storeName}/query", postOrPut, Handle(QueryAsync));
    }

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
        var target = Resolve(http);
        var key = (string)http.GetRouteValue("key")!;
        var storeKey = StoreKey(target.Prefix, key);
        StateItem? item;
        try
        {
            item = await target.CallAsync((store, ct) => store.GetAsync(storeKey, ct), cancellationToken);
        }
        catch (Exception e) when (IsStoreFailure(e, cancellationToken))
        {
            throw StateApiException.Get(key, target.Name, e.Message);
        }
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
        var target = Resolve(http);
        var key = (string)http.GetRouteValue("key")!;
        var storeKey = StoreKey(target.Prefix, key);
        var query = http.Request.Query;
        var concurrency = Concurrency(query["concurrency"].FirstOrDefault(), query["consistency"].FirstOrDefault(),
            detail => StateApiException.Delete(key, detail));
        // daprd takes If-Match verbatim, so a quoted ETag does not match.
        var etag = http.Request.Headers.IfMatch.FirstOrDefault();
        try
        {
            var delete = new StateDelete(storeKey, etag, concurrency);
            await target.CallAsync((store, ct) => store.DeleteAsync(delete, ct), cancellationToken);
        }
        catch (EtagMismatchException e)
        {
            throw StateApiException.Delete(key, EtagMismatch(e), HttpStatusCode.Conflict);
        }
        catch (Exception e) when (IsStoreFailure(e, cancellationToken))
        {
            throw StateApiException.Delete(key, e.Message);
        }
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task SaveAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var target = Resolve(http);
        var storeName = target.Name;
        IReadOnlyList<StateWriteRequest> items;
        using (var body = await StateRequests.ParseAsync(http.Request, cancellationToken))
        {
            items = StateRequests.SaveItems(body.RootElement);
        }
        var query = QueryMetadata(http.Request);
        // Everything is validated before anything is written.
        var sets = items.Select(item => ToSet(item, target.Prefix, query, EmptyMetadata, detail => StateApiException.Save(storeName, detail))).ToList();

        // Like daprd, every item is attempted; the items are independent (no transaction).
        var failures = new List<StateApiException>();
        foreach (var set in sets)
        {
            try
            {
                await target.CallAsync((store, ct) => store.SetAsync(set, ct), cancellationToken);
            }
            catch (EtagMismatchException e)
            {
                failures.Add(StateApiException.Save(storeName, EtagMismatch(e), HttpStatusCode.Conflict));
            }
            catch (EtagInvalidException e)
            {
                failures.Add(StateApiException.Save(storeName, $"invalid etag value: {e.Message}", HttpStatusCode.BadRequest));
            }
            catch (Exception e) when (IsStoreFailure(e, cancellationToken))
            {
                failures.Add(StateApiException.Save(storeName, e.Message));
            }
        }
        // daprd reports an ETag problem (409/400) ahead of other failures.
        if (failures.Count > 0)
            throw failures.FirstOrDefault(f => f.Status != HttpStatusCode.InternalServerError) ?? failures[0];
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task BulkGetAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var target = Resolve(http);
        BulkGetRequest request;
        using (var body = await StateRequests.ParseAsync(http.Request, cancellationToken))
        {
            request = StateRequests.BulkGet(body.RootElement);
        }
        var storeKeys = request.Keys.Select(key => StoreKey(target.Prefix, key)).ToArray();
        var results = new (StateItem? Item, string? Error)[storeKeys.Length];
        var options = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = request.Parallelism > 0 ? request.Parallelism : Math.Max(1, storeKeys.Length),
        };
        await Parallel.ForEachAsync(Enumerable.Range(0, storeKeys.Length), options, async (i, ct) =>
        {
            try
            {
                results[i] = (await target.CallAsync((store, attempt) => store.GetAsync(storeKeys[i], attempt), ct), null);
            }
            catch (Exception e) when (IsStoreFailure(e, ct))
            {
                results[i] = (null, e.Message);
            }
        });

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            for (var i = 0; i < results.Length; i++)
            {
                json.WriteStartObject();
                json.WriteString("key", request.Keys[i]);
                if (results[i].Error is { } error)
                {
                    json.WriteString("error", error);
                }
                else if (results[i].Item is { } item)
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
        var target = Resolve(http);
        var prefix = target.Prefix;
        TransactionRequest request;
        using (var body = await StateRequests.ParseAsync(http.Request, cancellationToken))
        {
            request = StateRequests.Transaction(body.RootElement);
        }
        var query = QueryMetadata(http.Request);
        var operations = new List<StateOperation>(request.Operations.Count);
        foreach (var operation in request.Operations)
        {
            var write = operation.Request;
            switch (operation.Operation)
            {
                case "upsert":
                    operations.Add(ToSet(write, prefix, query, request.Metadata, StateApiException.Transaction));
                    break;
                case "delete":
                    operations.Add(new StateDelete(StoreKey(prefix, write.Key), write.ETag,
                        Concurrency(write.Concurrency, write.Consistency, StateApiException.Transaction)));
                    break;
                default:
                    throw StateApiException.UnsupportedOperation(operation.Operation);
            }
        }
        try
        {
            await target.CallAsync((store, ct) => store.TransactAsync(operations, ct), cancellationToken);
        }
        catch (EtagMismatchException e)
        {
            // Unlike save and delete (409), daprd answers any failed transaction with 500.
            throw StateApiException.Transaction(EtagMismatch(e));
        }
        catch (Exception e) when (IsStoreFailure(e, cancellationToken))
        {
            throw StateApiException.Transaction(e.Message);
        }
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    // Neither store implements daprd's query API (Redis needs RedisJSON and queryIndexes for it), so the route
    // answers as daprd does for a store without it rather than 404.
    private Task QueryAsync(HttpContext http, CancellationToken cancellationToken)
    {
        Resolve(http);
        throw StateApiException.QueryUnsupported();
    }

    private RequestDelegate Handle(Func<HttpContext, CancellationToken, Task> handler) => async http =>
    {
        try
        {
            await handler(http, http.RequestAborted);
        }
        catch (StateApiException e)
        {
            Log.RequestFailed(_logger, http.Request.Method, http.Request.Path, (int)e.Status, e.ErrorCode, e.Message);
            await e.WriteAsync(http.Response, http.RequestAborted);
        }
    };

    private StoreTarget Resolve(HttpContext http)
    {
        var name = (string)http.GetRouteValue("storeName")!;
        if (_sidecar.StateStores.Count == 0) throw StateApiException.NotConfigured(name);
        return _sidecar.StateStores.TryGetValue(name, out var store)
            ? new StoreTarget(name, store, _prefixes[name], _sidecar.Resiliency.ForComponentOutbound(name))
            : throw StateApiException.NotFound(name);
    }

    private static string StoreKey(StateKeyPrefix prefix, string key) =>
        prefix.Apply(key, out var problem) ?? throw StateApiException.Malformed(problem!);

    private static StateSet ToSet(StateWriteRequest write, StateKeyPrefix prefix, IReadOnlyDictionary<string, string> query,
        IReadOnlyDictionary<string, string> defaults, Func<string, StateApiException> failure)
    {
        var storeKey = StoreKey(prefix, write.Key);
        var concurrency = Concurrency(write.Concurrency, write.Consistency, failure);
        // Query metadata overrides the item's, which overrides the transaction's.
        var ttlText = query.GetValueOrDefault("ttlInSeconds") ?? write.Metadata.GetValueOrDefault("ttlInSeconds")
            ?? defaults.GetValueOrDefault("ttlInSeconds");
        TimeSpan? ttl = null;
        if (!string.IsNullOrEmpty(ttlText))
        {
            ttl = int.TryParse(ttlText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(seconds)
                : throw failure($"failed to parse ttl from metadata: ttlInSeconds '{ttlText}' is not a whole number of seconds");
        }
        return new StateSet(storeKey, write.Value, write.ETag, concurrency, ttl);
    }

    private static StateConcurrency Concurrency(string? concurrency, string? consistency, Func<string, StateApiException> failure)
    {
        if (consistency is not (null or "" or "eventual" or "strong"))
            throw failure($"unrecognized consistency model '{consistency}'");
        return concurrency switch
        {
            null or "" or "last-write" => StateConcurrency.LastWrite,
            "first-write" => StateConcurrency.FirstWrite,
            _ => throw failure($"unrecognized concurrency model '{concurrency}'"),
        };
    }

    private static Dictionary<string, string> QueryMetadata(HttpRequest request)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Query)
        {
            if (name.StartsWith("metadata.", StringComparison.Ordinal)) metadata[name["metadata.".Length..]] = values.FirstOrDefault() ?? "";
        }
        return metadata;
    }

    private static string EtagMismatch(EtagMismatchException e) => $"possible etag mismatch. error from state store: {e.Message}";

    // daprd answers every failure of the store itself (connection, server error, corrupt entry) with its error body.
    private static bool IsStoreFailure(Exception e, CancellationToken cancellationToken) =>
        e is not OperationCanceledException || !cancellationToken.IsCancellationRequested;

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

    private static string Rfc3339(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "State API {Method} {Path} answered {Status} {ErrorCode}: {Detail}")]
        public static partial void RequestFailed(ILogger logger, string method, string path, int status, string errorCode, string detail);
    }
}
