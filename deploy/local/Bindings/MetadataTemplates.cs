using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>
/// daprd expands <c>{uuid}</c> (a new UUID per occurrence), <c>{appID}</c>, <c>{namespace}</c>
/// (<c>namespace.appID</c>) and <c>{podName}</c> in every component metadata value when a sidecar initialises the
/// component, so each replica gets its own values (e.g. <c>consumerID: "{uuid}"</c>). Values already expanded are
/// left alone.
/// </summary>
internal static class MetadataTemplates
{
    public static ComponentSpec Expand(ComponentSpec component, SidecarContext sidecar)
    {
        if (!component.Metadata.Values.Any(v => v.Contains('{'))) return component;
        var expanded = new Dictionary<string, string>(component.Metadata.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, raw) in component.Metadata)
        {
            var value = raw;
            while (value.Contains("{uuid}", StringComparison.Ordinal))
            {
                var at = value.IndexOf("{uuid}", StringComparison.Ordinal);
                value = value[..at] + Guid.NewGuid().ToString() + value[(at + "{uuid}".Length)..];
            }
            if (value.Contains("{podName}", StringComparison.Ordinal))
                throw component.Invalid(key, "refers to {podName}, which only Kubernetes sets (daprd stops here too); use {uuid} or {appID} locally");
            value = value
                .Replace("{namespace}", $"{sidecar.Namespace}.{sidecar.AppId}", StringComparison.Ordinal)
                .Replace("{appID}", sidecar.AppId, StringComparison.Ordinal);
            expanded[key] = value;
        }
        return component with { Metadata = expanded };
    }
}
