using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.Client.Autogen.Grpc.v1;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.LocalRuntime.Invocation;
using DaprIoT.LocalRuntime.Sidecar.Grpc;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// One sidecar: the HTTP API on 127.0.0.1:{daprHTTPPort} and the gRPC API on 127.0.0.1:{daprGRPCPort} for one app
/// replica, and daprd's startup sequence
/// (§1.2): outbound health once components are open → app port polled every 100 ms → app health (if enabled) →
/// <c>/dapr/config</c> and <c>/dapr/subscribe</c> once → every feature's StartAsync → <c>/v1.0/healthz</c> 204.
/// </summary>
public sealed partial class SidecarHost : IAsyncDisposable
{
    public const string RuntimeVersion = "1.16.0";
    private static readonly TimeSpan PortPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly WebApplication _web;
    private readonly GrpcApiServer _grpc;
    private readonly ILogger _logger;
    private readonly HttpAppChannel _channel;
    private readonly ApiTokenCheck? _tokenCheck;
    private readonly ServiceInvoker _invoker;
    private readonly SemaphoreSlim _featureGate = new(1, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private bool _featuresStarted;
    private volatile bool _ready;
    private volatile bool _appHealthy = true;
    private volatile bool _appReachable;

    public SidecarHost(SidecarSettings settings, SidecarContext context, HttpAppChannel channel, AppRegistry registry)
    {
        Settings = settings;
        Context = context;
        _channel = channel;
        _logger = context.LoggerFactory.CreateLogger($"dapr-local.sidecar.{context.InstanceId}");
        _tokenCheck = string.IsNullOrEmpty(settings.DaprApiToken) ? null : new ApiTokenCheck(settings.DaprApiToken);
        _invoker = new ServiceInvoker(registry, context.LoggerFactory.CreateLogger("dapr-local.invocation"));
        Features = context.Services.FeatureFactories().Select(f => f.Create(context)).ToList();
        _web = BuildWebApplication();
        _grpc = new GrpcApiServer(settings, BuildGrpcApi(), context.LoggerFactory);
    }

    public SidecarSettings Settings { get; }
    public SidecarContext Context { get; }
    public IReadOnlyList<ISidecarFeature> Features { get; }
    public HttpAppChannel Channel => _channel;
    public string AppId => Context.AppId;

    /// <summary><c>/v1.0/healthz/outbound</c>: components are open and the API is listening.</summary>
    public bool OutboundReady { get; private set; }

    /// <summary><c>/v1.0/healthz</c>: the whole startup sequence has completed for the current app run.</summary>
    public bool Ready => _ready;

    /// <summary>Whether invocations may be forwarded to this replica's app: its port opened and it is not failing health probes.</summary>
    public bool AcceptsInvocations => _appReachable && _appHealthy && _channel.AppPort is not null;

    /// <summary><c>extended</c> metadata: the CLI's attributes (appPID, appCommand, cliPID) and PUT /v1.0/metadata values.</summary>
    public ConcurrentDictionary<string, string> Extended { get; } = new(StringComparer.Ordinal);

    /// <summary>Cancelled by <c>POST /v1.0/shutdown</c>.</summary>
    public CancellationToken ShutdownRequested => _shutdown.Token;

    public async Task StartServerAsync(CancellationToken cancellationToken)
    {
        await _web.StartAsync(cancellationToken);
        await _grpc.StartAsync(cancellationToken);
        OutboundReady = true;
    }

    /// <summary>
    /// Runs the startup sequence for the current app run. Returns when the sidecar is ready, or throws
    /// <see cref="OperationCanceledException"/> when <paramref name="appLifetime"/> ends first (app exited, runtime stopping).
    /// </summary>
    public async Task RunStartupSequenceAsync(CancellationToken appLifetime)
    {
        // With health checks the app counts as unhealthy until its first successful probe, as in daprd.
        _appHealthy = Settings.App.HealthCheck is null;
        if (_channel.AppPort is { } port)
        {
            while (!await FreePorts.IsListeningAsync(Settings.App.AppChannelAddress, port, appLifetime))
                await Task.Delay(PortPollInterval, appLifetime);
            _appReachable = true;
            AppPortOpen(_logger, Context.InstanceId, port);

            if (Settings.App.HealthCheck is { } health)
            {
                while (!await _channel.ProbeAsync(health.Path, health.Timeout, appLifetime))
                    await Task.Delay(PortPollInterval, appLifetime);
                _appHealthy = true;
            }
            Context.Discovery = new AppDiscovery(
                await DiscoverAsync("dapr/config", appLifetime),
                await DiscoverAsync("dapr/subscribe", appLifetime));
        }
        await StartFeaturesAsync(appLifetime);
        _ready = true;
        SidecarReady(_logger, Context.InstanceId, Context.HttpPort);
        if (Settings.App.HealthCheck is { } check && _channel.AppPort is not null)
            _ = MonitorAppHealthAsync(check, appLifetime);
    }

    /// <summary>The app exited or is being stopped: stop delivering to it and report not ready until the next startup sequence.</summary>
    public async Task AppStoppedAsync(CancellationToken cancellationToken)
    {
        _ready = false;
        _appReachable = false;
        await StopFeaturesAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await AppStoppedAsync(CancellationToken.None);
        await _web.StopAsync(CancellationToken.None);
        await _grpc.DisposeAsync();
        foreach (var feature in Features)
        {
            try { await feature.DisposeAsync(); }
            catch (Exception e) { FeatureFailed(_logger, e, Context.InstanceId, feature.GetType().Name, "dispose"); }
        }
        await _web.DisposeAsync();
        _channel.Dispose();
        _shutdown.Dispose();
        _featureGate.Dispose();
    }

    private async Task StartFeaturesAsync(CancellationToken cancellationToken)
    {
        await _featureGate.WaitAsync(cancellationToken);
        try
        {
            if (_featuresStarted) return;
            foreach (var feature in Features)
            {
                try { await feature.StartAsync(cancellationToken); }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    FeatureFailed(_logger, e, Context.InstanceId, feature.GetType().Name, "start");
                }
            }
            _featuresStarted = true;
        }
        finally
        {
            _featureGate.Release();
        }
    }

    private async Task StopFeaturesAsync(CancellationToken cancellationToken)
    {
        await _featureGate.WaitAsync(cancellationToken);
        try
        {
            if (!_featuresStarted) return;
            // In the reverse of the start order (RuntimeComposition): deliveries stop before what their handlers call.
            foreach (var feature in Features.Reverse())
            {
                try { await feature.StopAsync(cancellationToken); }
                catch (Exception e) { FeatureFailed(_logger, e, Context.InstanceId, feature.GetType().Name, "stop"); }
            }
            _featuresStarted = false;
        }
        finally
        {
            _featureGate.Release();
        }
    }

    /// <summary>GET /dapr/config or /dapr/subscribe, retried on transport errors like DaprBuiltInInitializationRetries.</summary>
    private async Task<JsonElement?> DiscoverAsync(string path, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
                request.Headers.TryAddWithoutValidation("dapr-app-id", Context.AppId);
                request.Headers.TryAddWithoutValidation(TraceContext.Header, TraceContext.NewTraceparent());
                using var response = await _channel.SendAsync(request, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    DiscoveryStatus(_logger, Context.InstanceId, path, (int)response.StatusCode);
                    return null;
                }
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                if (body.Length == 0) return null;
                try
                {
                    using var document = JsonDocument.Parse(body);
                    return document.RootElement.Clone();
                }
                catch (JsonException e)
                {
                    DiscoveryInvalid(_logger, Context.InstanceId, path, e.Message);
                    return null;
                }
            }
            catch (HttpRequestException e) when (attempt < 3)
            {
                DiscoveryRetry(_logger, Context.InstanceId, path, e.Message);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
            catch (HttpRequestException e)
            {
                DiscoveryInvalid(_logger, Context.InstanceId, path, e.Message);
                return null;
            }
        }
    }

    /// <summary>daprd's app health checks (§1.4): unhealthy after N failed probes stops delivery; healthy again restarts it.</summary>
    private async Task MonitorAppHealthAsync(Configuration.AppHealthCheck check, CancellationToken appLifetime)
    {
        var failures = 0;
        try
        {
            while (!appLifetime.IsCancellationRequested)
            {
                await Task.Delay(check.Interval, appLifetime);
                var healthy = await _channel.ProbeAsync(check.Path, check.Timeout, appLifetime);
                if (healthy)
                {
                    failures = 0;
                    if (_appHealthy) continue;
                    _appHealthy = true;
                    AppHealthChanged(_logger, Context.InstanceId, "healthy");
                    await StartFeaturesAsync(appLifetime);
                }
                else if (++failures >= check.Threshold && _appHealthy)
                {
                    _appHealthy = false;
                    AppHealthChanged(_logger, Context.InstanceId, "unhealthy");
                    await StopFeaturesAsync(appLifetime);
                }
            }
        }
        catch (OperationCanceledException) when (appLifetime.IsCancellationRequested)
        {
        }
    }

    private WebApplication BuildWebApplication()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "dapr-local",
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
        });
        // The sidecar's address comes from dapr.yaml only, never from ASPNETCORE_URLS or appsettings.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Context.LoggerFactory);
        builder.Services.AddSingleton<IHostLifetime, RuntimeControlledLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Settings.App.MaxBodySize;
            kestrel.Listen(IPAddress.Loopback, Context.HttpPort);
        });
        var web = builder.Build();

        web.Use(async (context, next) =>
        {
            CleanPath(context);
            TraceContext.Apply(context, Settings.Configuration.SamplingRate);
            if (_tokenCheck is not null && !await _tokenCheck.AuthorizeAsync(context)) return;
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e)
            {
                // Kestrel's own limits (maxBodySize, malformed requests) answer in Dapr's error shape.
                await DaprErrors.WriteAsync(context, e.StatusCode, "ERR_MALFORMED_REQUEST", e.Message);
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                RequestFailed(_logger, e, Context.InstanceId, context.Request.Method, context.Request.Path.Value ?? "");
                await DaprErrors.WriteAsync(context, 500, "ERR_INTERNAL", $"{context.Request.Method} {context.Request.Path} failed in the local runtime: {e.Message}");
            }
        });

        // Routing runs after the middleware above, so it matches the cleaned path.
        web.UseRouting();

        web.MapGet("/v1.0/healthz", HealthAsync);
        web.MapGet("/v1.0/healthz/outbound", context => OutboundReady
            ? NoContent(context)
            : DaprErrors.WriteAsync(context, 500, "ERR_OUTBOUND_HEALTH_NOT_READY", "dapr outbound is not ready"));
        web.MapGet("/v1.0/metadata", MetadataAsync);
        web.MapPut("/v1.0/metadata/{attribute}", SetMetadataAsync);
        web.MapPost("/v1.0/shutdown", ShutdownAsync);
        web.Map("/v1.0/invoke/{appId}/method/{**method}", context =>
        {
            var target = (string)context.Request.RouteValues["appId"]!;
            // The method is everything after /v1.0/invoke/{appId}/method, taken from the path as sent.
            var afterInvoke = context.Request.Path.Value!["/v1.0/invoke/".Length..];
            var rest = afterInvoke[(afterInvoke.IndexOf('/') + 1)..];
            return _invoker.InvokeAsync(context, this, target, rest.Length > "method".Length ? rest["method".Length..] : "/");
        });
        foreach (var feature in Features) feature.MapRoutes(web);
        web.MapFallback(FallbackAsync);
        return web;
    }

    private GrpcApi BuildGrpcApi()
    {
        var api = new GrpcApi();
        api.MapUnary<GetMetadataRequest, GetMetadataResponse>("GetMetadata", (_, _) => Task.FromResult(GrpcMetadata.From(DescribeMetadata())));
        api.MapUnary<SetMetadataRequest, Empty>("SetMetadata", (request, _) =>
        {
            Extended[request.Key] = request.Value;
            return Task.FromResult(new Empty());
        });
        api.MapUnary<ShutdownRequest, Empty>("Shutdown", (_, call) =>
        {
            // Answer first, as daprd does, then stop.
            call.GetHttpContext().Response.OnCompleted(() =>
            {
                ShutdownByApi(_logger, Context.InstanceId);
                _shutdown.Cancel();
                return Task.CompletedTask;
            });
            return Task.FromResult(new Empty());
        });
        new InvocationGrpc(_invoker, this).Map(api);
        foreach (var feature in Features) feature.MapGrpc(api);
        return api;
    }

    private Task HealthAsync(HttpContext context)
    {
        if (!_ready) return DaprErrors.WriteAsync(context, 500, "ERR_HEALTH_NOT_READY", "dapr is not ready");
        var appId = context.Request.Query["appid"].ToString();
        if (appId.Length > 0 && appId != Context.AppId)
            return DaprErrors.WriteAsync(context, 500, "ERR_HEALTH_APPID_NOT_MATCH", $"dapr app-id does not match: {appId}");
        return NoContent(context);
    }

    private async Task MetadataAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(DescribeMetadata().ToJsonString());
    }

    /// <summary>The body of <c>GET /v1.0/metadata</c>: identity, components, each building block's part, extended attributes.</summary>
    public JsonObject DescribeMetadata()
    {
        var metadata = new JsonObject
        {
            ["id"] = Context.AppId,
            ["runtimeVersion"] = RuntimeVersion,
            ["enabledFeatures"] = new JsonArray(Settings.Configuration.EnabledFeatures.Select(f => (JsonNode)f!).ToArray()),
            ["components"] = new JsonArray(Context.Components.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["version"] = c.Version,
                ["capabilities"] = new JsonArray(ComponentCapabilities.For(c).Select(x => (JsonNode)x!).ToArray()),
            }).ToArray()),
        };
        foreach (var feature in Features) feature.DescribeMetadata(metadata);
        var extended = new JsonObject();
        foreach (var (key, value) in Extended.OrderBy(e => e.Key, StringComparer.Ordinal)) extended[key] = value;
        metadata["extended"] = extended;
        if (_channel.AppPort is { } port)
        {
            var connection = new JsonObject
            {
                ["port"] = port,
                ["protocol"] = Settings.App.AppProtocol,
                ["channelAddress"] = Settings.App.AppChannelAddress,
            };
            if (Settings.App.HealthCheck is { } health)
            {
                connection["health"] = new JsonObject
                {
                    ["healthCheckPath"] = health.Path,
                    ["healthProbeInterval"] = FormatDuration(health.Interval),
                    ["healthProbeTimeout"] = FormatDuration(health.Timeout),
                    ["healthThreshold"] = health.Threshold,
                };
            }
            metadata["appConnectionProperties"] = connection;
        }
        return metadata;
    }

    private async Task SetMetadataAsync(HttpContext context)
    {
        var attribute = (string)context.Request.RouteValues["attribute"]!;
        using var reader = new StreamReader(context.Request.Body);
        Extended[attribute] = await reader.ReadToEndAsync(context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private Task ShutdownAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        context.Response.OnCompleted(() =>
        {
            ShutdownByApi(_logger, Context.InstanceId);
            _shutdown.Cancel();
            return Task.CompletedTask;
        });
        return Task.CompletedTask;
    }

    /// <summary>daprd routes every path it does not know to service invocation (header or basic-auth app id).</summary>
    private Task FallbackAsync(HttpContext context)
    {
        if (ServiceInvoker.TargetFromHeaders(context) is { } target)
            return _invoker.InvokeAsync(context, this, target, context.Request.Path.Value ?? "/");
        return DaprErrors.WriteAsync(context, 404, "ERR_DIRECT_INVOKE",
            $"failed getting app id either from the URL path or the header dapr-app-id (no route for {context.Request.Method} {context.Request.Path})");
    }

    /// <summary>
    /// daprd's router runs Go's <c>path.Clean</c> on the request path (repeated slashes collapse, <c>.</c> and
    /// <c>..</c> resolve) and then strips trailing slashes. The .NET actor SDK depends on it: it sends
    /// <c>//v1.0/actors/…</c>.
    /// </summary>
    private static void CleanPath(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (string.IsNullOrEmpty(path)) return;
        var cleaned = RequestPath.Clean(path);
        if (!string.Equals(cleaned, path, StringComparison.Ordinal)) context.Request.Path = cleaned;
    }

    private static Task NoContent(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static string FormatDuration(TimeSpan value) =>
        value.TotalSeconds >= 1 && value.Milliseconds == 0 ? $"{(int)value.TotalSeconds}s" : $"{(int)value.TotalMilliseconds}ms";

    [LoggerMessage(Level = LogLevel.Information, Message = "{Instance}: app port {Port} is open")]
    private static partial void AppPortOpen(ILogger logger, string instance, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Instance}: sidecar ready on http://127.0.0.1:{Port}")]
    private static partial void SidecarReady(ILogger logger, string instance, int port);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Instance}: {Feature} failed to {Action}")]
    private static partial void FeatureFailed(ILogger logger, Exception exception, string instance, string feature, string action);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Instance}: GET /{Path} answered {Status}; treated as none")]
    private static partial void DiscoveryStatus(ILogger logger, string instance, string path, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Instance}: GET /{Path} failed: {Problem}; treated as none")]
    private static partial void DiscoveryInvalid(ILogger logger, string instance, string path, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Instance}: GET /{Path} failed ({Problem}); retrying")]
    private static partial void DiscoveryRetry(ILogger logger, string instance, string path, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Instance}: app is {State}")]
    private static partial void AppHealthChanged(ILogger logger, string instance, string state);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Instance}: {Method} {Path} failed")]
    private static partial void RequestFailed(ILogger logger, Exception exception, string instance, string method, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Instance}: shutdown requested through POST /v1.0/shutdown")]
    private static partial void ShutdownByApi(ILogger logger, string instance);
}
