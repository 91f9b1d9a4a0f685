using DaprIoT.Contracts;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DaprIoT.Frontend;

/// <summary>
/// The frontend's routing table for YARP. <c>/api/*</c> goes to this app's own sidecar with a <c>dapr-app-id</c>
/// header, which daprd (and dapr-local) treat as a service invocation of that app with the path unchanged, so each
/// service keeps its own routes and gets Dapr's discovery, retries, mTLS and tracing. <c>/hubs/*</c> goes straight to
/// device-management's replicas, because Dapr invocation does not carry WebSockets (dapr/dapr#5766).
/// </summary>
public static class EdgeRoutes
{
    public const string SidecarCluster = "dapr-sidecar";
    public const string HubCluster = "device-management-hubs";
    public const string AppIdHeader = "dapr-app-id";
    public const string ApiTokenHeader = "dapr-api-token";

    /// <summary>
    /// The cookie that keeps a browser on one replica when the SignalR client negotiates before it opens the socket
    /// (the UI itself skips negotiation and opens one WebSocket, which cannot change replicas).
    /// </summary>
    public const string HubAffinityCookie = "dapriot-hub";

    /// <summary>
    /// A hub connection stays open for the whole visit; SignalR's keep-alive pings (15 s) keep it active. This only
    /// ends connections whose peer went silent without closing.
    /// </summary>
    public static readonly TimeSpan HubIdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Path pattern → the app that answers it. A path under <c>/api</c> not listed here is a 404 at the edge.</summary>
    public static IReadOnlyList<(string RouteId, string Path, string AppId)> ApiRoutes { get; } =
    [
        ("auth", "/api/auth/{**rest}", AppIds.Auth),
        ("devices", "/api/devices/{**rest}", AppIds.DeviceManagement),
        ("statistics", "/api/statistics/{**rest}", AppIds.Statistics),
    ];

    public static IReadOnlyList<RouteConfig> Routes(FrontendSettings settings) =>
    [
        .. ApiRoutes.Select(api => new RouteConfig
        {
            RouteId = api.RouteId,
            ClusterId = SidecarCluster,
            Match = new RouteMatch { Path = api.Path },
            Transforms = SidecarHeaders(api.AppId, settings.DaprApiToken),
        }),
        new RouteConfig
        {
            RouteId = "hubs",
            ClusterId = HubCluster,
            Match = new RouteMatch { Path = "/hubs/{**rest}" },
        },
    ];

    public static IReadOnlyList<ClusterConfig> Clusters(FrontendSettings settings) =>
    [
        new ClusterConfig
        {
            ClusterId = SidecarCluster,
            Destinations = new Dictionary<string, DestinationConfig> { ["sidecar"] = new() { Address = settings.Sidecar.ToString() } },
        },
        new ClusterConfig
        {
            ClusterId = HubCluster,
            Destinations = settings.HubDestinations
                .Select((uri, i) => (Id: $"replica-{i}", Config: new DestinationConfig { Address = uri.ToString() }))
                .ToDictionary(d => d.Id, d => d.Config),
            SessionAffinity = new SessionAffinityConfig
            {
                Enabled = true,
                Policy = "HashCookie",
                AffinityKeyName = HubAffinityCookie,
                Cookie = new SessionAffinityCookieConfig { HttpOnly = true, SameSite = SameSiteMode.Strict, IsEssential = true },
            },
            // A replica that stops answering its liveness probe gets no new connections; its browsers reconnect elsewhere.
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = TimeSpan.FromSeconds(10),
                    Timeout = TimeSpan.FromSeconds(5),
                    Policy = "ConsecutiveFailures",
                    Path = "/healthz",
                },
            },
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = HubIdleTimeout },
        },
    ];

    /// <summary>
    /// Requests through the sidecar carry the browser's address in <see cref="EdgeHeaders.ClientAddress"/>, always
    /// replacing what the browser sent: Dapr invocation replaces <c>X-Forwarded-For</c> with this app's address, and
    /// auth limits logins per browser address. Behind an ingress the connection's address is the ingress's unless
    /// forwarded headers are enabled (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c>, as in Kubernetes).
    /// </summary>
    public static void AddClientAddress(TransformBuilderContext context)
    {
        if (context.Route.ClusterId != SidecarCluster) return;
        context.AddRequestTransform(transform =>
        {
            var headers = transform.ProxyRequest.Headers;
            headers.Remove(EdgeHeaders.ClientAddress);
            if (transform.HttpContext.Connection.RemoteIpAddress is { } address)
                headers.TryAddWithoutValidation(EdgeHeaders.ClientAddress, address.ToString());
            return ValueTask.CompletedTask;
        });
    }

    private static List<Dictionary<string, string>> SidecarHeaders(string appId, string? apiToken)
    {
        // Set, not appended: a browser cannot pick another target app or smuggle a token of its own.
        var transforms = new List<Dictionary<string, string>> { new() { ["RequestHeader"] = AppIdHeader, ["Set"] = appId } };
        transforms.Add(apiToken is null
            ? new() { ["RequestHeaderRemove"] = ApiTokenHeader }
            : new() { ["RequestHeader"] = ApiTokenHeader, ["Set"] = apiToken });
        return transforms;
    }
}
