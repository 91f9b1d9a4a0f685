using System.Globalization;
using System.Text.Json.Nodes;
using DaprIoT.Deployment.Tests.Rendering;

namespace DaprIoT.Deployment.Tests.Policies;

/// <summary>The Deployments: restricted Pod Security, probes, resources, labels and the Dapr sidecar's annotations.</summary>
public sealed class WorkloadPolicyTests
{
    private static readonly string[] AllowedVolumes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_pod_meets_the_restricted_Pod_Security_profile(string overlay)
    {
        var platform = new Platform(overlay);
        Assert.NotEmpty(platform.Deployments);
        PolicyAssert.None(platform.Deployments.SelectMany(RestrictedProblems));
        var ns = Assert.Single(platform.OfKind("Namespace"));
        Assert.Equal("restricted", ns.Labels.GetValueOrDefault("pod-security.kubernetes.io/enforce"));
    }

    private static IEnumerable<string> RestrictedProblems(Manifest d)
    {
        var pod = d.PodSpec ?? [];
        var podContext = pod["securityContext"] as JsonObject ?? [];
        foreach (var field in new[] { "hostNetwork", "hostPID", "hostIPC" })
            if (pod[field]?.GetValue<bool>() == true) yield return d.At($"spec.template.spec.{field}", "must not be true");
        foreach (var volume in Manifest.Objects(pod["volumes"]))
            if (!volume.Select(p => p.Key).Where(k => k != "name").All(AllowedVolumes.Contains))
                yield return d.At($"spec.template.spec.volumes[{volume["name"]}]", $"only {string.Join(", ", AllowedVolumes)} volumes are allowed");
        if (podContext["runAsUser"]?.GetValue<long>() == 0) yield return d.At("spec.template.spec.securityContext.runAsUser", "must not be 0");
        var podNonRoot = podContext["runAsNonRoot"]?.GetValue<bool>() == true;
        var podSeccomp = podContext["seccompProfile"]?["type"]?.ToString() is "RuntimeDefault" or "Localhost";
        foreach (var (c, i) in Platform.Containers(d).Select((c, i) => (c, i)))
        {
            var at = $"container {c["name"]} securityContext";
            var context = c["securityContext"] as JsonObject ?? [];
            if (!podNonRoot && context["runAsNonRoot"]?.GetValue<bool>() != true) yield return d.At(at + ".runAsNonRoot", "must be true (here or for the pod)");
            if (context["runAsUser"]?.GetValue<long>() == 0) yield return d.At(at + ".runAsUser", "must not be 0");
            if (!podSeccomp && context["seccompProfile"]?["type"]?.ToString() is not ("RuntimeDefault" or "Localhost"))
                yield return d.At(at + ".seccompProfile.type", "must be RuntimeDefault (here or for the pod)");
            if (context["allowPrivilegeEscalation"]?.GetValue<bool>() != false) yield return d.At(at + ".allowPrivilegeEscalation", "must be false");
            if (context["privileged"]?.GetValue<bool>() == true) yield return d.At(at + ".privileged", "must not be true");
            if (!(context["capabilities"]?["drop"] as JsonArray ?? []).Any(x => x?.ToString() == "ALL"))
                yield return d.At(at + ".capabilities.drop", "must drop ALL");
            if ((context["capabilities"]?["add"] as JsonArray ?? []).Any(x => x?.ToString() != "NET_BIND_SERVICE"))
                yield return d.At(at + ".capabilities.add", "may add NET_BIND_SERVICE only");
            if (context["readOnlyRootFilesystem"]?.GetValue<bool>() != true)
                yield return d.At(at + ".readOnlyRootFilesystem", "must be true: what a container writes goes to a volume");
            if (Manifest.Objects(c["ports"]).Any(p => p["hostPort"] is not null))
                yield return d.At($"container {c["name"]} ports", "must not use hostPort");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_container_has_requests_and_limits(string overlay)
    {
        var platform = new Platform(overlay);
        PolicyAssert.None(
            from d in platform.Deployments
            from c in Platform.Containers(d)
            from kind in new[] { "requests", "limits" }
            from resource in new[] { "cpu", "memory" }
            where c["resources"]?[kind]?[resource] is null
            select d.At($"container {c["name"]} resources.{kind}.{resource}", "missing"));
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_service_is_probed_on_its_health_endpoints(string overlay)
    {
        var platform = new Platform(overlay);
        Assert.NotEmpty(platform.DaprDeployments);
        PolicyAssert.None(platform.DaprDeployments.SelectMany(ProbeProblems));
    }

    private static IEnumerable<string> ProbeProblems(Manifest d)
    {
        var app = Platform.Containers(d, withInit: false).FirstOrDefault();
        if (app is null) { yield return d.At("spec.template.spec.containers", "empty"); yield break; }
        var appPort = d.PodAnnotations.GetValueOrDefault("dapr.io/app-port");
        var portNames = Manifest.Objects(app["ports"]).ToDictionary(p => p["name"]?.ToString() ?? "", p => p["containerPort"]?.ToString());
        foreach (var (probe, path) in new[] { ("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz") })
        {
            var get = app[probe]?["httpGet"];
            if (get is null) { yield return d.At($"container {app["name"]} {probe}", $"missing (an HTTP GET of {path})"); continue; }
            if (get["path"]?.ToString() != path) yield return d.At($"container {app["name"]} {probe}.httpGet.path", $"must be {path}");
            var port = get["port"]?.ToString() ?? "";
            var number = portNames.TryGetValue(port, out var named) ? named : port;
            if (number != appPort) yield return d.At($"container {app["name"]} {probe}.httpGet.port", $"'{port}' is not the app port {appPort}");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_service_has_a_Dapr_sidecar_whose_app_id_and_port_match_dapr_yaml(string overlay)
    {
        var platform = new Platform(overlay);
        var runFile = Platform.RunFileAppPorts();
        var configurations = platform.OfKind("Configuration").Where(m => m.IsDapr).Select(m => m.Name).ToHashSet();
        var problems = new List<string>();
        foreach (var d in platform.DaprDeployments)
        {
            var a = d.PodAnnotations;
            string At(string annotation) => $"spec.template.metadata.annotations[{annotation}]";
            var appId = a.GetValueOrDefault("dapr.io/app-id", "");
            if (!runFile.TryGetValue(appId, out var runFilePort))
                problems.Add(d.At(At("dapr.io/app-id"), $"'{appId}' is not an app id of dapr.yaml ({string.Join(", ", runFile.Keys)})"));
            else if (a.GetValueOrDefault("dapr.io/app-port") != runFilePort?.ToString(CultureInfo.InvariantCulture))
                problems.Add(d.At(At("dapr.io/app-port"), $"'{a.GetValueOrDefault("dapr.io/app-port")}' is not dapr.yaml's appPort {runFilePort} for {appId}"));
            if (a.GetValueOrDefault("dapr.io/app-protocol") != "http") problems.Add(d.At(At("dapr.io/app-protocol"), "must be http"));
            if (!configurations.Contains(a.GetValueOrDefault("dapr.io/config", "")))
                problems.Add(d.At(At("dapr.io/config"), $"'{a.GetValueOrDefault("dapr.io/config")}' is not a rendered Dapr Configuration ({string.Join(", ", configurations)})"));
            foreach (var required in new[] { "dapr.io/api-token-secret", "dapr.io/sidecar-cpu-request", "dapr.io/sidecar-cpu-limit", "dapr.io/sidecar-memory-request", "dapr.io/sidecar-memory-limit" })
                if (string.IsNullOrEmpty(a.GetValueOrDefault(required))) problems.Add(d.At(At(required), "missing"));
            var app = Platform.Containers(d, withInit: false).First();
            var http = Manifest.Objects(app["ports"]).FirstOrDefault(p => p["name"]?.ToString() == "http")?["containerPort"]?.ToString();
            if (http != a.GetValueOrDefault("dapr.io/app-port")) problems.Add(d.At($"container {app["name"]} ports[http]", $"'{http}' is not the app port"));
            var listens = Manifest.Objects(app["env"]).FirstOrDefault(e => e["name"]?.ToString() == "ASPNETCORE_HTTP_PORTS")?["value"]?.ToString();
            if (listens != a.GetValueOrDefault("dapr.io/app-port")) problems.Add(d.At($"container {app["name"]} env[ASPNETCORE_HTTP_PORTS]", $"'{listens}': the app must listen on the app port"));
        }
        // Every service dapr.yaml runs (an app with an app port; the device simulators have none) is deployed.
        foreach (var (appId, port) in runFile.Where(p => p.Value is not null))
            if (platform.DeploymentFor(appId) is null) problems.Add($"dapr.yaml app {appId}: no Deployment with dapr.io/app-id {appId} in overlay {overlay}");
        foreach (var group in platform.AppIds.GroupBy(id => id).Where(g => g.Count() > 1))
            problems.Add($"overlay {overlay}: app id {group.Key} is on {group.Count()} Deployments");
        PolicyAssert.None(problems);
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Objects_carry_the_recommended_labels_and_selectors_match_their_pods(string overlay)
    {
        var platform = new Platform(overlay);
        var problems = new List<string>();
        foreach (var m in platform.All)
            if (m.Labels.GetValueOrDefault("app.kubernetes.io/part-of") != "dapriot")
                problems.Add(m.At("metadata.labels[app.kubernetes.io/part-of]", "must be dapriot"));
        foreach (var d in platform.Deployments)
        {
            foreach (var label in new[] { "app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of" })
                if (string.IsNullOrEmpty(d.PodLabels.GetValueOrDefault(label))) problems.Add(d.At($"spec.template.metadata.labels[{label}]", "missing"));
            if (!Platform.Selects(d.Spec?["selector"], d.PodLabels)) problems.Add(d.At("spec.selector", "does not select the Deployment's own pod template"));
            if (d.PodAnnotations.GetValueOrDefault("dapr.io/app-id") is { } appId && d.PodLabels.GetValueOrDefault("app.kubernetes.io/name") != appId)
                problems.Add(d.At("spec.template.metadata.labels[app.kubernetes.io/name]", $"must be the app id {appId}"));
            var account = d.PodSpec?["serviceAccountName"]?.ToString();
            if (d.PodAnnotations.ContainsKey("dapr.io/app-id") && (account is null || !platform.OfKind("ServiceAccount").Any(s => s.Name == account)))
                problems.Add(d.At("spec.template.spec.serviceAccountName", $"'{account}' is not a rendered ServiceAccount: each service has its own"));
        }
        PolicyAssert.None(problems);
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_service_has_a_disruption_budget_that_lets_nodes_drain(string overlay)
    {
        var platform = new Platform(overlay);
        var budgets = platform.OfKind("PodDisruptionBudget").ToList();
        var autoscalers = platform.OfKind("HorizontalPodAutoscaler").ToList();
        var problems = new List<string>();
        foreach (var d in platform.DaprDeployments)
        {
            var mine = budgets.Where(b => Platform.Selects(b.Spec?["selector"], d.PodLabels)).ToList();
            if (mine.Count != 1) { problems.Add(d.At("(pods)", $"{mine.Count} PodDisruptionBudgets select them; one must")); continue; }
            var hpa = autoscalers.FirstOrDefault(h => h.Spec?["scaleTargetRef"]?["name"]?.ToString() == d.Name);
            var replicas = hpa?.Spec?["minReplicas"]?.GetValue<long>() ?? d.Spec?["replicas"]?.GetValue<long>() ?? 1;
            if (mine[0].Spec?["minAvailable"] is JsonValue min && min.TryGetValue<long>(out var minAvailable) && minAvailable >= replicas)
                problems.Add(mine[0].At("spec.minAvailable", $"{minAvailable} of {replicas} replica(s): no pod could ever be evicted, so nodes could not drain"));
        }
        foreach (var b in budgets)
            if (!platform.PodsSelectedBy(b.Spec?["selector"]).Any()) problems.Add(b.At("spec.selector", "selects no pods"));
        PolicyAssert.None(problems);
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Device_management_scales_with_an_autoscaler_that_owns_its_replica_count(string overlay)
    {
        var platform = new Platform(overlay);
        var deployment = platform.DeploymentFor("device-management");
        Assert.NotNull(deployment);
        var hpa = Assert.Single(platform.OfKind("HorizontalPodAutoscaler"), h => h.Spec?["scaleTargetRef"]?["name"]?.ToString() == deployment.Name);
        Assert.Equal("Deployment", hpa.Spec!["scaleTargetRef"]!["kind"]!.ToString());
        Assert.True(hpa.Spec["minReplicas"]!.GetValue<long>() >= 2, hpa.At("spec.minReplicas", "at least 2, so a replica going away leaves browsers a gateway"));
        Assert.True(deployment.Spec!["replicas"] is null, deployment.At("spec.replicas", "must be left to the HorizontalPodAutoscaler"));
        foreach (var other in platform.OfKind("HorizontalPodAutoscaler"))
            Assert.True(platform.Deployments.Any(d => d.Name == other.Spec?["scaleTargetRef"]?["name"]?.ToString()), other.At("spec.scaleTargetRef", "names no Deployment"));
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Services_select_pods_and_ports_that_exist(string overlay)
    {
        var platform = new Platform(overlay);
        var problems = new List<string>();
        foreach (var s in platform.OfKind("Service"))
        {
            // A Service's selector is the labels themselves, not a matchLabels.
            var pods = platform.PodsSelectedBy(new JsonObject { ["matchLabels"] = s.Spec?["selector"]?.DeepClone() }).ToList();
            if (s.Spec?["selector"] is not JsonObject { Count: > 0 }) { problems.Add(s.At("spec.selector", "missing")); continue; }
            if (pods.Count == 0) { problems.Add(s.At("spec.selector", "selects no pods")); continue; }
            foreach (var port in Manifest.Objects(s.Spec?["ports"]))
            {
                var target = port["targetPort"]?.ToString() ?? port["port"]?.ToString();
                if (!pods.All(p => Platform.Containers(p, withInit: false).SelectMany(c => Manifest.Objects(c["ports"]))
                        .Any(cp => cp["name"]?.ToString() == target || cp["containerPort"]?.ToString() == target)))
                    problems.Add(s.At($"spec.ports[{port["name"]}].targetPort", $"'{target}' is not a port of the selected pods"));
            }
        }
        PolicyAssert.None(problems);
    }
}
