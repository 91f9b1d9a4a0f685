using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprIoT.Frontend.Tests.Support;

/// <summary>
/// Stands in for app <c>device-management</c> as docs/device-api.md describes it, for as long as that service is not
/// part of the repository: the SignalR hub <c>/hubs/devices</c> (a <c>snapshot</c> first on every connection, then
/// <c>deviceChanged</c>) and the REST routes the UI calls, over twins the test sets and changes. It checks no tokens;
/// it records the ones it is given. Every response carries <c>x-replica</c>, so a test can tell replicas apart.
/// </summary>
public sealed class DeviceManagementStandIn : IAsyncDisposable
{
    public sealed record Request(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

    private readonly ConcurrentDictionary<string, JsonObject> _twins = new();
    private readonly object _changes = new();
    private WebApplication? _app;

    private DeviceManagementStandIn(string replica)
    {
        Replica = replica;
    }

    public string Replica { get; }

    public int Port { get; private set; }

    public string Url => $"http://127.0.0.1:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Every REST request, as it arrived.</summary>
    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>The <c>access_token</c> of every hub connection.</summary>
    public ConcurrentQueue<string> HubTokens { get; } = new();

    /// <summary>While set, the hub answers 503, as a replica that is starting or overloaded.</summary>
    public bool RefuseHub { get; set; }

    /// <summary>What <c>POST /api/devices</c> answers as the new device's password.</summary>
    public string IssuedPassword { get; } = "pw-" + Guid.NewGuid().ToString("N");

    public static async Task<DeviceManagementStandIn> StartAsync(string replica, CancellationToken cancellationToken)
    {
        var standIn = new DeviceManagementStandIn(replica);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSignalR();
        builder.Services.AddSingleton(standIn);
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            context.Response.Headers["x-replica"] = replica;
            if (context.Request.Path.StartsWithSegments("/hubs/devices"))
            {
                if (standIn.RefuseHub)
                {
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    return;
                }
                // Recorded as the connection arrives, so it is there before the client hears back from the hub.
                if (context.Request.Query.ContainsKey("access_token")) standIn.HubTokens.Enqueue(context.Request.Query["access_token"].ToString());
            }
            await next(context);
        });
        app.UseWebSockets();
        app.MapGet("/healthz", () => "Healthy");
        app.MapHub<DevicesHub>("/hubs/devices");
        standIn.MapApi(app);
        await app.StartAsync(cancellationToken);
        standIn._app = app;
        standIn.Port = new Uri(app.Urls.First()).Port;
        return standIn;
    }

    public JsonObject? Twin(string deviceId) => _twins.TryGetValue(deviceId, out var twin) ? (JsonObject)twin.DeepClone() : null;

    public void Add(JsonObject twin) => _twins[(string)twin["deviceId"]!] = twin;

    /// <summary>Changes a twin as its actor would (a new version) and sends <c>deviceChanged</c> to every browser.</summary>
    public async Task ChangeAsync(string deviceId, string change, Action<JsonObject> apply)
    {
        JsonObject twin;
        lock (_changes)
        {
            twin = _twins[deviceId];
            apply(twin);
            twin["version"] = (long)twin["version"]! + 1;
            twin = (JsonObject)twin.DeepClone();
        }
        await Hub.Clients.All.SendAsync("deviceChanged", Event(twin, change));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static JsonObject LightBulb(string deviceId, string name, bool power = false, int brightnessPct = 80, int colorTempK = 4000) => new()
    {
        ["deviceId"] = deviceId,
        ["deviceType"] = "lightbulb",
        ["provisioned"] = true,
        ["owner"] = "someone",
        ["name"] = name,
        ["version"] = 1L,
        ["presence"] = new JsonObject
        {
            ["status"] = "online", ["epoch"] = 1, ["since"] = DateTimeOffset.UtcNow.AddMinutes(-5), ["lastSeen"] = DateTimeOffset.UtcNow,
            ["heartbeatS"] = 60, ["firmware"] = "1.0.0",
        },
        ["properties"] = new JsonObject
        {
            ["power"] = Reported(power),
            ["brightnessPct"] = Reported(brightnessPct),
            ["colorTempK"] = Reported(colorTempK),
        },
        ["commands"] = new JsonArray(),
    };

    /// <summary>A cooker heating its water bath for a running program of <paramref name="durationS"/>, <paramref name="elapsedS"/> in.</summary>
    public static JsonObject SousVide(string deviceId, string name, double waterTempC, double targetTempC, int durationS, int elapsedS)
    {
        var twin = LightBulb(deviceId, name);
        var now = DateTimeOffset.UtcNow;
        twin["deviceType"] = "sousvide";
        twin["properties"] = new JsonObject
        {
            ["heater"] = Reported(true),
            ["targetTempC"] = Reported(targetTempC),
            ["waterTempC"] = new JsonObject { ["reported"] = waterTempC, ["status"] = "applied", ["reportedAt"] = now },
        };
        twin["program"] = new JsonObject
        {
            ["commandId"] = "cmd-program", ["targetTempC"] = targetTempC, ["durationS"] = durationS,
            ["startedAt"] = now.AddSeconds(-elapsedS), ["endsAt"] = now.AddSeconds(durationS - elapsedS + 600),
            ["phase"] = "cooking", ["elapsedS"] = elapsedS, ["status"] = "running",
        };
        return twin;
    }

    /// <summary>Changes a twin without telling anyone, as a change made while a browser was disconnected.</summary>
    public void ChangeUnannounced(string deviceId, Action<JsonObject> apply)
    {
        lock (_changes)
        {
            var twin = _twins[deviceId];
            apply(twin);
            twin["version"] = (long)twin["version"]! + 1;
        }
    }

    /// <summary>Drops every hub connection, as a replica that restarts does.</summary>
    public void DropHubConnections()
    {
        foreach (var connection in _connections.Values) connection.Abort();
    }

    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new();

    private IHubContext<DevicesHub> Hub => _app!.Services.GetRequiredService<IHubContext<DevicesHub>>();

    private static JsonObject Reported(JsonNode value) => new()
    {
        ["desired"] = value.DeepClone(), ["reported"] = value, ["status"] = "applied", ["reportedAt"] = DateTimeOffset.UtcNow,
    };

    private static JsonObject Event(JsonObject twin, string change) => new()
    {
        ["deviceId"] = twin["deviceId"]!.DeepClone(),
        ["deviceType"] = twin["deviceType"]!.DeepClone(),
        ["version"] = twin["version"]!.DeepClone(),
        ["at"] = DateTimeOffset.UtcNow,
        ["changes"] = new JsonArray(change),
        ["twin"] = twin,
    };

    private JsonObject Snapshot() => new() { ["devices"] = new JsonArray([.. _twins.Values.Select(t => t.DeepClone())]) };

    private void MapApi(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                context.Request.EnableBuffering();
                var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
                context.Request.Body.Position = 0;
                Requests.Enqueue(new Request(context.Request.Method, context.Request.Path + context.Request.QueryString,
                    context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
            }
            await next(context);
        });
        app.MapGet("/api/devices", () => Results.Json(Snapshot()));
        app.MapGet("/api/devices/{id}", (string id) => Twin(id) is { } twin ? Results.Json(twin) : NotFound());
        app.MapPost("/api/devices", async (JsonObject body) =>
        {
            var id = "dev-" + Guid.NewGuid().ToString("N")[..12];
            var name = (string?)body["name"] ?? "";
            Add(LightBulb(id, name));
            await Hub.Clients.All.SendAsync("deviceChanged", Event(Twin(id)!, "added"));
            return Results.Json(new JsonObject
            {
                ["deviceId"] = id, ["type"] = (string?)body["type"], ["name"] = name,
                ["mqtt"] = new JsonObject { ["host"] = "127.0.0.1", ["port"] = 1883, ["clientId"] = id, ["username"] = id, ["password"] = IssuedPassword },
            }, statusCode: StatusCodes.Status201Created);
        });
        app.MapDelete("/api/devices/{id}", async (string id) =>
        {
            if (!_twins.TryRemove(id, out var twin)) return NotFound();
            twin["version"] = (long)twin["version"]! + 1;
            await Hub.Clients.All.SendAsync("deviceChanged", Event(twin, "removed"));
            return Results.NoContent();
        });
        app.MapPatch("/api/devices/{id}", async (string id, JsonObject body) =>
        {
            if (!_twins.ContainsKey(id)) return NotFound();
            await ChangeAsync(id, "name", twin => twin["name"] = (string?)body["name"]);
            return Results.NoContent();
        });
        app.MapPost("/api/devices/{id}/desired", async (string id, JsonObject patch) =>
        {
            if (!_twins.ContainsKey(id)) return NotFound();
            var commandId = "cmd-" + Guid.NewGuid().ToString("N")[..8];
            await ChangeAsync(id, "desired", twin =>
            {
                foreach (var (name, value) in patch)
                {
                    var property = (JsonObject)twin["properties"]![name]!;
                    property["desired"] = value!.DeepClone();
                    property["status"] = "pending";
                    property["commandId"] = commandId;
                }
                var now = DateTimeOffset.UtcNow;
                ((JsonArray)twin["commands"]!).Add(new JsonObject
                {
                    ["id"] = commandId, ["name"] = "set", ["values"] = patch.DeepClone(), ["status"] = "pending", ["attempts"] = 1,
                    ["createdAt"] = now, ["updatedAt"] = now,
                });
            });
            return Results.Json(new JsonObject { ["commandId"] = commandId }, statusCode: StatusCodes.Status202Accepted);
        });
    }

    private static IResult NotFound() => Results.Problem(statusCode: (int)HttpStatusCode.NotFound, detail: "device not found");

    /// <summary>The hub: a snapshot on every connection, as device-management sends it.</summary>
    private sealed class DevicesHub(DeviceManagementStandIn standIn) : Hub
    {
        public override async Task OnConnectedAsync()
        {
            standIn._connections[Context.ConnectionId] = Context;
            await Clients.Caller.SendAsync("snapshot", standIn.Snapshot());
        }

        public override Task OnDisconnectedAsync(Exception? exception)
        {
            standIn._connections.TryRemove(Context.ConnectionId, out _);
            return Task.CompletedTask;
        }
    }

    /// <summary>The device's part of a command: acknowledged (received), then its reported state matches (applied).</summary>
    public async Task DeviceAppliesAsync(string deviceId, string commandId)
    {
        foreach (var status in new[] { "received", "applied" })
        {
            await ChangeAsync(deviceId, "command", twin =>
            {
                foreach (var command in ((JsonArray)twin["commands"]!).OfType<JsonObject>().Where(c => (string?)c["id"] == commandId))
                {
                    command["status"] = status;
                    command["updatedAt"] = DateTimeOffset.UtcNow;
                    if (status != "applied") continue;
                    foreach (var (name, value) in (JsonObject)command["values"]!)
                    {
                        var property = (JsonObject)twin["properties"]![name]!;
                        property["reported"] = value!.DeepClone();
                        property["status"] = "applied";
                        property["reportedAt"] = DateTimeOffset.UtcNow;
                    }
                }
            });
        }
    }
}
