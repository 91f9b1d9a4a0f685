using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Sidecar.Grpc;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// One building block's part of one sidecar (pub/sub, state, bindings, actors, …). The runtime creates one
/// per sidecar through an <see cref="ISidecarFeatureFactory"/>, maps its routes onto that sidecar's HTTP API,
/// and starts it once the app is ready, in daprd's order: app port open → <c>/dapr/config</c> →
/// <c>/dapr/subscribe</c> → every feature's <see cref="StartAsync"/> → <c>/v1.0/healthz</c> turns 204.
/// </summary>
public interface ISidecarFeature : IAsyncDisposable
{
    /// <summary>Adds this block's <c>/v1.0/…</c> routes to the sidecar API.</summary>
    void MapRoutes(IEndpointRouteBuilder routes);

    /// <summary>Adds this block's methods of the gRPC API; they call the same logic as its HTTP routes.</summary>
    void MapGrpc(GrpcApi api) { }

    /// <summary>Starts receiving for the app: subscribe to topics, start input bindings, register actor types.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stops delivering to the app (before the app is stopped or restarted), features in the reverse of their start
    /// order. Must be idempotent.
    /// </summary>
    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>Adds this block's part of <c>GET /v1.0/metadata</c> (e.g. <c>subscriptions</c>, <c>actors</c>).</summary>
    void DescribeMetadata(JsonObject metadata) { }
}

/// <summary>Creates a building block's feature for each sidecar. Registered as a singleton in <c>RuntimeComposition</c>.</summary>
public interface ISidecarFeatureFactory
{
    ISidecarFeature Create(SidecarContext sidecar);
}
