using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// The actors building block of one sidecar: the actor API routes, and — when the app's <c>/dapr/config</c>
/// names actor types, the app has a port and there is an actor state store — this sidecar's registration
/// as a host of those types with the runtime's placement.
/// </summary>
internal sealed partial class ActorsFeature : ISidecarFeature
{
    private readonly SidecarContext _sidecar;
    private readonly ActorPlacement _placement;
    private readonly TimeProvider _clock;
    private readonly ActorHost _host;
    private readonly ILogger _logger;

    public ActorsFeature(SidecarContext sidecar, ActorPlacement placement, TimeProvider clock)
    {
        _sidecar = sidecar;
        _placement = placement;
        _clock = clock;
        _host = new ActorHost(sidecar, placement, clock);
        _logger = sidecar.LoggerFactory.CreateLogger<ActorsFeature>();
    }

    public void MapRoutes(IEndpointRouteBuilder routes) => routes.MapActorsApi(_host, _placement, _clock);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var config = ActorHostConfig.Parse(_sidecar.Discovery.Config);
        foreach (var problem in config.Problems) Log.ConfigProblem(_logger, _sidecar.AppId, problem);
        if (config.Types.Count == 0) return;
        if (_sidecar.App.AppPort is null)
        {
            Log.NoAppPort(_logger, _sidecar.AppId);
            return;
        }
        if (_host.Store is null)
        {
            // daprd: "actors: state store must be present to host actors"; the types stay unplaced, callers get ERR_ACTOR_NO_ADDRESS.
            Log.NoActorStateStore(_logger, _sidecar.AppId, string.Join(", ", config.Types.Keys));
            return;
        }
        _host.Configure(config.Types);
        try
        {
            await _placement.RegisterAsync(_host, cancellationToken);
        }
        catch
        {
            // Not registered (e.g. the store could not be read): this sidecar hosts nothing, and says so in its metadata.
            _host.Configure(new Dictionary<string, ActorTypeSettings>());
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => _placement.UnregisterAsync(_host, cancellationToken);

    public void DescribeMetadata(JsonObject metadata)
    {
        var counts = _host.ActiveCounts();
        var active = new JsonArray([.. counts.Select(c => (JsonNode)new JsonObject { ["type"] = c.Key, ["count"] = c.Value })]);
        if (counts.Count > 0) metadata["actors"] = active.DeepClone();
        metadata["actorRuntime"] = new JsonObject
        {
            ["runtimeStatus"] = "RUNNING",
            ["activeActors"] = active,
            ["hostReady"] = counts.Count > 0,
            ["placement"] = "placement: connected",
        };
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "App {AppId}: /dapr/config: {Problem}; the default is used")]
        public static partial void ConfigProblem(ILogger logger, string appId, string problem);

        [LoggerMessage(Level = LogLevel.Warning, Message = "App {AppId} names actor types in /dapr/config but has no app port, so it hosts no actors")]
        public static partial void NoAppPort(ILogger logger, string appId);

        [LoggerMessage(Level = LogLevel.Error, Message = "App {AppId} hosts actor types {ActorTypes}, but no state store visible to it has actorStateStore: \"true\"; the types are not registered with placement")]
        public static partial void NoActorStateStore(ILogger logger, string appId, string actorTypes);
    }
}
