using DaprIoT.LocalRuntime.Components;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>The <c>capabilities</c> daprd reports for a component in <c>GET /v1.0/metadata</c> (§1.5).</summary>
public static class ComponentCapabilities
{
    public static IReadOnlyList<string> For(ComponentSpec component) => component.Kind switch
    {
        "state" => ["ETAG", "TRANSACTIONAL", "TTL", "ACTOR"],
        "bindings" => (component.GetString("direction") ?? "input, output") switch
        {
            var d when d.Contains("input", StringComparison.OrdinalIgnoreCase) && d.Contains("output", StringComparison.OrdinalIgnoreCase)
                => ["INPUT_BINDING", "OUTPUT_BINDING"],
            var d when d.Contains("input", StringComparison.OrdinalIgnoreCase) => ["INPUT_BINDING"],
            _ => ["OUTPUT_BINDING"],
        },
        "pubsub" when component.Type == "pubsub.in-memory" => ["SUBSCRIBE_WILDCARDS"],
        _ => [],
    };
}
