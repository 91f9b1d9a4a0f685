using System.Text.Json;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// What the app answered, once, at startup: <c>GET /dapr/config</c> (actor types and settings) and
/// <c>GET /dapr/subscribe</c> (programmatic subscriptions). Null where the app answered non-2xx or has no port.
/// </summary>
public sealed record AppDiscovery(JsonElement? Config, JsonElement? Subscriptions)
{
    public static AppDiscovery None { get; } = new(null, null);
}
