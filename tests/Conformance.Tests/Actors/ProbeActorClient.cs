using System.Text.Json;
using Dapr.Actors;
using Dapr.Actors.Client;

namespace DaprIoT.Conformance.Tests.Actors;

/// <summary>
/// Calls the ConformanceApp's Probe actor as an app does: through the SDK's <see cref="ActorProxy"/> (non-remoting, JSON
/// bodies) on one sidecar. The endpoint ends in '/' as the SDK's default one (<c>http://localhost:{DAPR_HTTP_PORT}/</c>)
/// does, so every call goes to <c>PUT //v1.0/actors/Probe/{id}/method/{method}</c> as it does in a real app. A call that
/// does not answer 2xx throws the SDK's <see cref="Dapr.DaprApiException"/>.
/// </summary>
public sealed class ProbeActorClient
{
    private readonly ActorProxyFactory _proxies = new();

    /// <summary>Calls <paramref name="method"/> and returns its JSON result.</summary>
    public Task<JsonElement> CallAsync(string sidecarUrl, string actorId, string method, object? argument, CancellationToken cancellationToken)
    {
        var proxy = Proxy(sidecarUrl, actorId);
        return argument is null
            ? proxy.InvokeMethodAsync<JsonElement>(method, cancellationToken)
            : proxy.InvokeMethodAsync<object, JsonElement>(method, argument, cancellationToken);
    }

    /// <summary>Calls a method that returns nothing.</summary>
    public Task InvokeAsync(string sidecarUrl, string actorId, string method, object? argument, CancellationToken cancellationToken)
    {
        var proxy = Proxy(sidecarUrl, actorId);
        return argument is null
            ? proxy.InvokeMethodAsync(method, cancellationToken)
            : proxy.InvokeMethodAsync<object>(method, argument, cancellationToken);
    }

    private ActorProxy Proxy(string sidecarUrl, string actorId) =>
        _proxies.Create(new ActorId(actorId), "Probe", new ActorProxyOptions { HttpEndpoint = sidecarUrl.TrimEnd('/') + "/", RequestTimeout = TimeSpan.FromSeconds(30) });
}
