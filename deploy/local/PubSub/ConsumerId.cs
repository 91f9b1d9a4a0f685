using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// The <c>consumerID</c> a sidecar uses for a pub/sub component: the app id when unset (all replicas compete),
/// otherwise the value with daprd's template tags resolved at sidecar start: <c>{appID}</c>, <c>{uuid}</c> (new
/// every start), <c>{namespace}</c> (<c>&lt;namespace&gt;.&lt;appID&gt;</c>) and <c>{podName}</c>. daprd self-hosted
/// fails component init on <c>{podName}</c> because there is no pod; this runtime resolves it to the replica's
/// <see cref="SidecarContext.InstanceId"/>, so <c>{podName}</c> gives every replica every message, as on Kubernetes.
/// </summary>
public static class ConsumerId
{
    public static string Resolve(ComponentSpec component, SidecarContext sidecar)
    {
        if (component.GetString("consumerID") is not { } template) return sidecar.AppId;
        var resolved = template
            .Replace("{appID}", sidecar.AppId, StringComparison.Ordinal)
            .Replace("{podName}", sidecar.InstanceId, StringComparison.Ordinal)
            .Replace("{namespace}", $"{sidecar.Namespace}.{sidecar.AppId}", StringComparison.Ordinal);
        while (resolved.Contains("{uuid}", StringComparison.Ordinal))
        {
            var at = resolved.IndexOf("{uuid}", StringComparison.Ordinal);
            resolved = string.Concat(resolved.AsSpan(0, at), Guid.NewGuid().ToString(), resolved.AsSpan(at + "{uuid}".Length));
        }
        return resolved;
    }
}
