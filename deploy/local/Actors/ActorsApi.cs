using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// daprd's actor HTTP API on one sidecar (pkg/api/http/actors.go): method invocation, actor state, timers and
/// reminders under <c>/v1.0/actors/{actorType}/{actorId}/…</c>. Failures answer <c>{"errorCode","message"}</c>.
/// </summary>
internal static class ActorsApi
{
    private static readonly HashSet<string> NotRelayed = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Content-Type", "Upgrade", "Trailer", "Date", "Server",
        // The sidecar answers with its own trace context (§1.7).
        "traceparent",
    };

    public static void MapActorsApi(this IEndpointRouteBuilder routes, ActorHost host, ActorPlacement placement, TimeProvider clock)
    {
        var actors = routes.MapGroup("/v1.0/actors/{actorType}/{actorId}");
        actors.MapMethods("/method/{**method}", ["GET", "POST", "PUT", "DELETE"],
            (HttpContext http, string actorType, string actorId, string method) =>
                Handle(http, () => InvokeAsync(http, host, placement, clock, actorType, actorId, method)));
        actors.MapGet("/state/{key}", (HttpContext http, string actorType, string actorId, string key) =>
            Handle(http, () => GetStateAsync(http, host, actorType, actorId, key)));
        actors.MapMethods("/state", ["POST", "PUT"], (HttpContext http, string actorType, string actorId) =>
            Handle(http, () => TransactStateAsync(http, host, actorType, actorId)));
        actors.MapMethods("/timers/{name}", ["POST", "PUT"], (HttpContext http, string actorType, string actorId, string name) =>
            Handle(http, () => CreateTimerAsync(http, host, actorType, actorId, name)));
        actors.MapDelete("/timers/{name}", (HttpContext http, string actorType, string actorId, string name) =>
            Handle(http, () =>
            {
                host.DeleteTimer(actorType, actorId, name);
                return Task.FromResult(Results.NoContent());
            }));
        actors.MapMethods("/reminders/{name}", ["POST", "PUT"], (HttpContext http, string actorType, string actorId, string name) =>
            Handle(http, () => CreateReminderAsync(http, host, placement, clock, actorType, actorId, name)));
        actors.MapGet("/reminders/{name}", (HttpContext http, string actorType, string actorId, string name) =>
            Handle(http, () => GetReminderAsync(http, host, placement, actorType, actorId, name)));
        actors.MapDelete("/reminders/{name}", (HttpContext http, string actorType, string actorId, string name) =>
            Handle(http, () => DeleteReminderAsync(http, host, placement, actorType, actorId, name)));
    }

    private static async Task<IResult> Handle(HttpContext http, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (DaprApiException e)
        {
            await e.WriteAsync(http.Response, http.RequestAborted);
            // The error is the whole response; nothing is left for the endpoint to write.
            return Results.Empty;
        }
    }

    private static async Task<IResult> InvokeAsync(HttpContext http, ActorHost host, ActorPlacement placement, TimeProvider clock,
        string actorType, string actorId, string method)
    {
        if (ValidateName(actorType) is { } badType) throw ActorErrors.BadRequest($"invalid actorType: {badType}");
        if (ValidateName(actorId) is { } badId) throw ActorErrors.BadRequest($"invalid actorId: {badId}");
        if (method.IndexOfAny(['#', '?', '\0']) >= 0 || method.Any(char.IsControl))
            throw ActorErrors.BadRequest($"method contains forbidden character: \"{method}\"");

        var body = await ReadBodyAsync(http);
        var headers = http.Request.Headers
            .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? "")))
            .ToList();
        var call = new ActorCall(actorType, actorId, method, body, http.Request.ContentType, headers,
            http.Request.QueryString.Value ?? "", http.Request.Headers["Dapr-Reentrancy-Id"].FirstOrDefault());
        // The actor type's Resiliency policies wrap the whole call (lookup and turn), as daprd's pre-lock policy does.
        ActorCallResult result;
        try
        {
            result = await PolicyRunner.RunAsync(host.PoliciesFor(actorType), ct => placement.InvokeAsync(call, ct), clock, http.RequestAborted,
                // As daprd's HTTP actor transport: 404 is "method not found" (never retried), anything but 200 an error.
                isFailure: r => r.Status is not (StatusCodes.Status200OK or StatusCodes.Status404NotFound),
                isAnswer: e => e is DaprApiException { HttpStatus: StatusCodes.Status400BadRequest });
        }
        catch (TimeoutException)
        {
            throw ActorErrors.Invoke("context deadline exceeded");
        }
        catch (CircuitBreakerOpenException e)
        {
            throw ActorErrors.Invoke(e.Message);
        }
        if (result.Status == StatusCodes.Status404NotFound)
            throw ActorErrors.Invoke($"actor method not found: actors/{actorType}/{actorId}/method/{method}");
        // A 200 carrying X-Daprerrorresponseheader is an application error, relayed as it is.
        if (result.Status == StatusCodes.Status200OK) return new RelayResult(result);
        throw ActorErrors.Invoke($"error from actor service: ({result.Status}) {Encoding.UTF8.GetString(result.Body)}");
    }

    private static async Task<IResult> GetStateAsync(HttpContext http, ActorHost host, string actorType, string actorId, string key)
    {
        var store = host.Store ?? throw ActorErrors.RuntimeNotFound();
        StateItem? item;
        try
        {
            item = await store.GetAsync(StateKey(host, actorType, actorId, key), http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw ActorErrors.StateGet(e.Message);
        }
        return item is null ? Results.NoContent() : Results.Bytes(item.Value, "application/json");
    }

    private static async Task<IResult> TransactStateAsync(HttpContext http, ActorHost host, string actorType, string actorId)
    {
        using var document = await ReadJsonAsync(http);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
            throw ActorErrors.Malformed($"json: cannot unmarshal {Describe(document.RootElement)} into Go value of type []api.TransactionalOperation");
        var store = host.Store ?? throw ActorErrors.RuntimeNotFound();
        if (!host.IsActive(actorType, actorId)) throw ActorErrors.InstanceMissing();

        var operations = new List<StateOperation>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            try
            {
                operations.Add(ToStateOperation(item, StateKey(host, actorType, actorId, "")));
            }
            catch (FormatException e)
            {
                throw ActorErrors.StateTransaction(e.Message);
            }
        }
        try
        {
            await store.TransactAsync(operations, http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw ActorErrors.StateTransaction(e.Message);
        }
        return Results.NoContent();
    }

    private static StateOperation ToStateOperation(JsonElement item, string baseKey)
    {
        if (item.ValueKind != JsonValueKind.Object) throw new FormatException("request data is empty");
        var operation = item.TryGetProperty("operation", out var op) && op.ValueKind == JsonValueKind.String ? op.GetString() : null;
        if (!item.TryGetProperty("request", out var request) || request.ValueKind == JsonValueKind.Null)
            throw new FormatException("request data is empty");
        if (string.IsNullOrEmpty(operation)) throw new FormatException("operation is empty");
        if (request.ValueKind != JsonValueKind.Object) throw new FormatException($"'{operation}' request is not an object");

        var key = request.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        if (string.IsNullOrEmpty(key)) throw new FormatException("missing key");
        var etag = request.TryGetProperty("etag", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        switch (operation)
        {
            case "upsert":
                // The value's own UTF-8 text, as the SDK wrote it (no string in between).
                var value = request.TryGetProperty("value", out var v) ? JsonMarshal.GetRawUtf8Value(v).ToArray() : "null"u8.ToArray();
                TimeSpan? ttl = null;
                if (request.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object &&
                    metadata.TryGetProperty("ttlInSeconds", out var ttlValue))
                {
                    var text = ttlValue.ValueKind == JsonValueKind.String ? ttlValue.GetString() : ttlValue.GetRawText();
                    if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
                        throw new FormatException($"incorrect value for metadata 'ttlInSeconds': {text}");
                    if (seconds > 0) ttl = TimeSpan.FromSeconds(seconds);
                }
                return new StateSet(baseKey + key, value, etag, Ttl: ttl);
            case "delete":
                return new StateDelete(baseKey + key, etag);
            default:
                throw new FormatException($"operation type {operation} not supported");
        }
    }

    private static async Task<IResult> CreateTimerAsync(HttpContext http, ActorHost host, string actorType, string actorId, string name)
    {
        var request = await ReadScheduleRequestAsync(http);
        if (ValidateName(name) is { } bad) throw ActorErrors.BadRequest(bad);
        host.CreateTimer(actorType, actorId, name, request.Callback ?? "", request.Data, request.DueTime, request.Period, request.Ttl);
        return Results.NoContent();
    }

    private static async Task<IResult> CreateReminderAsync(HttpContext http, ActorHost host, ActorPlacement placement,
        TimeProvider clock, string actorType, string actorId, string name)
    {
        var request = await ReadScheduleRequestAsync(http);
        if (ValidateName(name) is { } bad) throw ActorErrors.BadRequest(bad);
        var table = Reminders(host, placement, actorType);

        var key = $"{actorType}||{actorId}||{name}";
        ActorSchedule schedule;
        try
        {
            schedule = ActorSchedule.Create("reminder", key, request.DueTime, request.Period, request.Ttl, clock.GetUtcNow());
        }
        catch (FormatException e)
        {
            throw ActorErrors.ReminderCreate(e.Message);
        }
        // Scheduler-backed reminders (daprd ≥1.15) cannot express calendar periods.
        if (schedule.Period.HasDateDesignators)
            throw ActorErrors.ReminderCreate($"invalid reminder period: unsupported period format: {request.Period}; use hours, e.g. PT24H instead of P1D");

        var reminder = new StoredReminder(actorType, actorId, name, request.Data, request.DueTime ?? "", request.Period ?? "",
            request.Ttl ?? "", schedule.NextDue, schedule.ExpiresAt, schedule.Period.Repeats);
        await table.CreateAsync(reminder, request.Overwrite ?? true, http.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> GetReminderAsync(HttpContext http, ActorHost host, ActorPlacement placement,
        string actorType, string actorId, string name)
    {
        var reminder = await Reminders(host, placement, actorType).GetAsync(actorId, name, http.RequestAborted)
            ?? throw ActorErrors.ReminderNotFound(name);
        var body = new JsonObject { ["actorID"] = reminder.ActorId, ["actorType"] = reminder.ActorType };
        if (reminder.Data is not null) body["data"] = JsonNode.Parse(reminder.Data);
        if (reminder.DueTime.Length > 0) body["dueTime"] = reminder.DueTime;
        if (reminder.Period.Length > 0) body["period"] = reminder.Period;
        if (reminder.Ttl.Length > 0) body["ttl"] = reminder.Ttl;
        return Results.Json(body);
    }

    private static async Task<IResult> DeleteReminderAsync(HttpContext http, ActorHost host, ActorPlacement placement,
        string actorType, string actorId, string name)
    {
        await Reminders(host, placement, actorType).DeleteAsync(actorId, name, http.RequestAborted);
        return Results.NoContent();
    }

    /// <summary>Reminder operations go through a sidecar whose app hosts the type (daprd ≥1.15: 403 otherwise).</summary>
    private static ReminderTable Reminders(ActorHost host, ActorPlacement placement, string actorType) =>
        host.Hosts(actorType) && placement.RemindersOf(actorType) is { } table ? table : throw ActorErrors.ReminderNonHosted();

    private static string StateKey(ActorHost host, string actorType, string actorId, string key) =>
        $"{host.AppId}||{actorType}||{actorId}||{key}";

    private sealed record ScheduleRequest(string? DueTime, string? Period, string? Ttl, string? Data, string? Callback, bool? Overwrite);

    private static async Task<ScheduleRequest> ReadScheduleRequestAsync(HttpContext http)
    {
        using var document = await ReadJsonAsync(http);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw ActorErrors.Malformed($"json: cannot unmarshal {Describe(root)} into Go value of type struct");
        string? Text(string name)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            return value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : throw ActorErrors.Malformed($"json: cannot unmarshal {Describe(value)} into Go struct field .{name} of type string");
        }
        bool? overwrite = null;
        if (root.TryGetProperty("overwrite", out var o) && o.ValueKind != JsonValueKind.Null)
        {
            overwrite = o.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? o.GetBoolean()
                : throw ActorErrors.Malformed($"json: cannot unmarshal {Describe(o)} into Go struct field .overwrite of type bool");
        }
        var data = root.TryGetProperty("data", out var d) ? d.GetRawText() : null;
        return new ScheduleRequest(Text("dueTime"), Text("period"), Text("ttl"), data, Text("callback"), overwrite);
    }

    /// <summary>The largest announced body read straight into an array of its size.</summary>
    private const long MaxPresizedBody = 1 << 20;

    private static async Task<JsonDocument> ReadJsonAsync(HttpContext http)
    {
        var body = GoUtf8.ReplaceInvalid(await ReadBodyAsync(http));
        if (body.Length == 0) throw ActorErrors.Malformed("EOF");
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw ActorErrors.Malformed(e.Message);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext http)
    {
        // An announced length is read into an array of that size, not grown in a stream and copied out again.
        if (http.Request.ContentLength is { } length and <= MaxPresizedBody)
        {
            var body = new byte[length];
            await http.Request.Body.ReadExactlyAsync(body, http.RequestAborted);
            return body;
        }
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        return buffer.ToArray();
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => "null",
    };

    /// <summary>daprd's <c>ValidateName</c>: names are identifiers, never paths. Returns the problem, or null.</summary>
    private static string? ValidateName(string name)
    {
        if (name.IndexOfAny(['#', '?', '\0', '/', '\\']) >= 0) return $"name contains forbidden character: \"{name}\"";
        if (name.Any(c => c < 0x20 || c == 0x7f)) return $"name contains control character: \"{name}\"";
        if (name is "." or "..") return $"name is a path traversal sequence: \"{name}\"";
        return null;
    }

    /// <summary>Writes the actor's answer back to the caller: status, content type, headers and body.</summary>
    private sealed class RelayResult(ActorCallResult result) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = result.Status;
            foreach (var group in result.Headers.Where(h => !NotRelayed.Contains(h.Key)).GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
                response.Headers.Append(group.Key, group.Select(h => h.Value).ToArray());
            if (result.ContentType is { } contentType) response.ContentType = contentType;
            await response.Body.WriteAsync(result.Body, httpContext.RequestAborted);
        }
    }
}
