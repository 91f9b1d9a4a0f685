using System.Text.Json.Nodes;
using DaprIoT.Deployment.Tests.Rendering;

namespace DaprIoT.Deployment.Tests.Policies;

/// <summary>NetworkPolicies and the Ingress: only what must talk, talks, and browsers reach what they need.</summary>
public sealed class NetworkPolicyTests
{
    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_network_policy_selects_pods_that_exist(string overlay)
    {
        var platform = new Platform(overlay);
        var policies = platform.OfKind("NetworkPolicy").ToList();
        var problems = new List<string>();
        foreach (var p in policies)
        {
            var selector = p.Spec?["podSelector"];
            if (selector is JsonObject { Count: > 0 } && !platform.PodsSelectedBy(selector).Any())
                problems.Add(p.At("spec.podSelector", "selects no pods"));
            foreach (var (rule, i) in Manifest.Objects(p.Spec?["ingress"]).Select((r, i) => (r, i)))
                foreach (var (peer, j) in Manifest.Objects(rule["from"]).Select((f, j) => (f, j)))
                    if (peer["podSelector"] is JsonObject { Count: > 0 } from && peer["namespaceSelector"] is null && !platform.PodsSelectedBy(from).Any())
                        problems.Add(p.At($"spec.ingress[{i}].from[{j}].podSelector", "selects no pods"));
        }
        // Every pod is covered by the deny-by-default policy, so a policy left out means closed, not open.
        if (!policies.Any(p => p.Spec?["podSelector"] is JsonObject { Count: 0 } && p.Spec["ingress"] is null
                && (p.Spec["policyTypes"] as JsonArray ?? []).Any(t => t?.ToString() == "Ingress")))
            problems.Add($"overlay {overlay}: no NetworkPolicy denies ingress to every pod by default");
        // Every pod is let in by a policy of its own (else it would be unreachable); the one letting metrics scrapers
        // reach every pod does not count.
        foreach (var d in platform.Deployments)
            if (!policies.Any(p => p.Spec?["podSelector"]?["matchLabels"]?["app.kubernetes.io/name"] is not null
                    && Platform.Selects(p.Spec["podSelector"], d.PodLabels) && p.Spec["ingress"] is JsonArray { Count: > 0 }))
                problems.Add(d.At("(pods)", "no NetworkPolicy lets anything in"));
        PolicyAssert.None(problems);
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Sidecar_calls_are_allowed_only_between_the_apps_that_make_them(string overlay)
    {
        var platform = new Platform(overlay);
        // Who may call whom through Dapr (service invocation and actors travel sidecar to sidecar on port 50002).
        var expected = new Dictionary<string, string[]>
        {
            ["auth"] = ["frontend", "device-management", "statistics"],
            ["statistics"] = ["frontend"],
            ["device-management"] = ["frontend"],
            ["lightbulb"] = ["device-management", "lightbulb"],
            ["sousvide"] = ["device-management", "sousvide"],
            ["frontend"] = [],
        };
        foreach (var (callee, callers) in expected)
        {
            var target = platform.DeploymentFor(callee);
            Assert.NotNull(target);
            var allowed = Callers(platform, target, 50002);
            Assert.True(allowed.SetEquals(callers), $"{target}: sidecar port 50002 is open to [{string.Join(", ", allowed.Order())}], expected [{string.Join(", ", callers.Order())}]");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Browsers_reach_the_frontend_and_device_management_directly_through_the_ingress_controller(string overlay)
    {
        var platform = new Platform(overlay);
        foreach (var (app, port) in new[] { ("frontend", 5100), ("device-management", 5105) })
        {
            var pods = platform.DeploymentFor(app)!;
            var fromIngress = platform.OfKind("NetworkPolicy").Where(p => Platform.Selects(p.Spec?["podSelector"], pods.PodLabels))
                .SelectMany(p => Manifest.Objects(p.Spec?["ingress"]))
                .Where(r => Manifest.Objects(r["ports"]).Any(x => x["port"]?.ToString() == port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                .SelectMany(r => Manifest.Objects(r["from"]))
                .Any(f => f["namespaceSelector"]?["matchLabels"]?["kubernetes.io/metadata.name"]?.ToString() == "ingress-nginx");
            Assert.True(fromIngress, $"{pods}: the ingress controller may not reach app port {port}");
        }
    }

    /// <summary>The app ids whose pods a policy lets reach <paramref name="target"/>'s <paramref name="port"/>.</summary>
    private static HashSet<string> Callers(Platform platform, Manifest target, int port) =>
        platform.OfKind("NetworkPolicy")
            .Where(p => p.Spec?["podSelector"] is JsonObject { Count: > 0 } s && Platform.Selects(s, target.PodLabels))
            .SelectMany(p => Manifest.Objects(p.Spec?["ingress"]))
            .Where(r => Manifest.Objects(r["ports"]).Any(x => x["port"]?.ToString() == port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .SelectMany(r => Manifest.Objects(r["from"]))
            .SelectMany(f => platform.PodsSelectedBy(f["podSelector"]))
            .Select(d => d.PodAnnotations.GetValueOrDefault("dapr.io/app-id", d.Name))
            .ToHashSet();

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void The_ingress_serves_the_UI_api_and_hubs_with_websocket_friendly_timeouts_and_sticky_hubs(string overlay)
    {
        var platform = new Platform(overlay);
        var services = platform.OfKind("Service").ToDictionary(s => s.Name);
        var routes = new Dictionary<string, (Manifest Ingress, string Service)>();
        var problems = new List<string>();
        foreach (var ingress in platform.OfKind("Ingress"))
            foreach (var rule in Manifest.Objects(ingress.Spec?["rules"]))
                foreach (var path in Manifest.Objects(rule["http"]?["paths"]))
                {
                    var service = path["backend"]?["service"]?["name"]?.ToString() ?? "";
                    var port = path["backend"]?["service"]?["port"]?["name"]?.ToString() ?? path["backend"]?["service"]?["port"]?["number"]?.ToString();
                    routes[path["path"]?.ToString() ?? ""] = (ingress, service);
                    if (!services.TryGetValue(service, out var target))
                        problems.Add(ingress.At($"path {path["path"]} backend", $"Service '{service}' is not rendered"));
                    else if (!Manifest.Objects(target.Spec?["ports"]).Any(p => p["name"]?.ToString() == port || p["port"]?.ToString() == port))
                        problems.Add(ingress.At($"path {path["path"]} backend", $"Service '{service}' has no port '{port}'"));
                }
        foreach (var (path, service) in new[] { ("/", "frontend"), ("/api", "frontend"), ("/hubs", "device-management") })
            if (!routes.TryGetValue(path, out var route) || route.Service != service)
                problems.Add($"overlay {overlay}: no Ingress path {path} to the Service {service}");
        if (routes.TryGetValue("/hubs", out var hubs))
        {
            var a = hubs.Ingress.Annotations;
            foreach (var timeout in new[] { "nginx.ingress.kubernetes.io/proxy-read-timeout", "nginx.ingress.kubernetes.io/proxy-send-timeout" })
                if (!int.TryParse(a.GetValueOrDefault(timeout), out var seconds) || seconds < 3600)
                    problems.Add(hubs.Ingress.At($"metadata.annotations[{timeout}]", "at least 3600 s, or idle WebSockets are cut"));
            if (a.GetValueOrDefault("nginx.ingress.kubernetes.io/affinity") != "cookie")
                problems.Add(hubs.Ingress.At("metadata.annotations[nginx.ingress.kubernetes.io/affinity]", "must be cookie: SignalR's negotiation and connection must reach one replica"));
            if (routes.Where(r => r.Key != "/hubs").Any(r => r.Value.Ingress.Name == hubs.Ingress.Name))
                problems.Add(hubs.Ingress.At("spec.rules", "/hubs needs an Ingress of its own: its timeouts and affinity are per Ingress"));
        }
        PolicyAssert.None(problems);
    }
}
