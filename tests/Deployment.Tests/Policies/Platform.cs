using System.Text.Json.Nodes;
using DaprIoT.Deployment.Tests.Rendering;
using DaprIoT.Deployment.Tests.RunFile;

namespace DaprIoT.Deployment.Tests.Policies;

/// <summary>What the policy tests ask of one rendered overlay.</summary>
public sealed class Platform(string overlay)
{
    public IReadOnlyList<Manifest> All { get; } = Overlays.Render(overlay);

    public IEnumerable<Manifest> OfKind(string kind) => All.Where(m => m.Kind == kind);

    public IEnumerable<Manifest> Deployments => OfKind("Deployment");

    /// <summary>The platform's services: the Deployments with a Dapr sidecar.</summary>
    public IEnumerable<Manifest> DaprDeployments => Deployments.Where(d => d.PodAnnotations.GetValueOrDefault("dapr.io/enabled") == "true");

    public IEnumerable<string> AppIds => DaprDeployments.Select(d => d.PodAnnotations.GetValueOrDefault("dapr.io/app-id", ""));

    public Manifest? DeploymentFor(string appId) =>
        DaprDeployments.FirstOrDefault(d => d.PodAnnotations.GetValueOrDefault("dapr.io/app-id") == appId);

    public IEnumerable<Manifest> Components => OfKind("Component").Where(m => m.IsDapr);

    /// <summary>Whether a selector's matchLabels pick a pod with these labels (matchExpressions are not used here).</summary>
    public static bool Selects(JsonNode? selector, IReadOnlyDictionary<string, string> labels) =>
        selector is JsonObject s && s["matchExpressions"] is null
        && Manifest.Strings(s["matchLabels"]).All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value);

    /// <summary>The Deployments whose pods a selector picks.</summary>
    public IEnumerable<Manifest> PodsSelectedBy(JsonNode? selector) => Deployments.Where(d => Selects(selector, d.PodLabels));

    public static IEnumerable<JsonObject> Containers(Manifest deployment, bool withInit = true) =>
        Manifest.Objects(deployment.PodSpec?["containers"]).Concat(withInit ? Manifest.Objects(deployment.PodSpec?["initContainers"]) : []);

    /// <summary>App id → app port as dapr.yaml gives it, with the apps dapr.yaml does not list yet (PendingEntries).</summary>
    public static IReadOnlyDictionary<string, int?> RunFileAppPorts()
    {
        var apps = DaprRunFile.Apps(DaprRunFile.Load(Repository.RunFile), Repository.Root).ToDictionary(a => a.AppId, a => a.AppPort);
        foreach (var (id, port) in PendingEntries.RunFileApps)
            apps.TryAdd(id, port);
        return apps;
    }
}
