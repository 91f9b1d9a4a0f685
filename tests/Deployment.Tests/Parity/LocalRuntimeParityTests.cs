using System.Text.Json.Nodes;
using DaprIoT.Deployment.Tests.Policies;
using DaprIoT.Deployment.Tests.Rendering;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.Deployment.Tests.Parity;

/// <summary>
/// The Dapr resources an overlay renders, loaded by dapr-local's own resource loader beside components/ (what
/// ./run.sh loads): both must load, and give every app the same components, settings, subscriptions and resiliency,
/// so running on Kubernetes and running locally cannot drift apart. Only where a cluster must differ may they: the
/// servers' addresses, and secret stores that read Kubernetes Secrets instead of local files.
/// </summary>
public sealed class LocalRuntimeParityTests : IDisposable
{
    /// <summary>Metadata naming a server (and, on a cluster, its credentials): set per environment.</summary>
    private static readonly HashSet<string> Addresses = new(StringComparer.OrdinalIgnoreCase) { "redisHost", "connectionString", "url" };

    // Secret references are resolved from environment variables with this prefix (a secretstores.local.env store),
    // standing in for the Kubernetes Secrets and the local secrets files alike.
    private const string SecretPrefix = "DAPRIOT_DEPLOYMENT_TESTS_";

    /// <summary>The store standing in for the Kubernetes Secrets the Dapr operator reads for references without one.</summary>
    private const string DefaultStore = "kubernetes-operator-secrets";

    private readonly string _folder = Directory.CreateTempSubdirectory("dapriot-parity-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Dapr_local_loads_the_rendered_resources_as_it_loads_components(string overlay)
    {
        var platform = new Platform(overlay);
        var rendered = platform.All.Where(m => m.IsDapr && m.Kind != "Configuration").Select(m => m.Object).ToList();
        var local = LocalComponents.Documents(Path.Combine(LocalComponents.Folder, "common"), LocalComponents.BusFolderFor(platform))
            .Where(d => d["kind"]?.ToString() != "Configuration").ToList();

        var kubernetes = Load("kubernetes", rendered);
        var here = Load("local", local);

        var apps = platform.AppIds.ToList();
        Assert.NotEmpty(apps);
        var problems = new List<string>();
        foreach (var app in apps)
        {
            var k8sComponents = kubernetes.ComponentsFor(app).Where(c => c.Name != DefaultStore).ToDictionary(c => c.Name);
            var localComponents = here.ComponentsFor(app).ToDictionary(c => c.Name);
            foreach (var (name, k) in k8sComponents)
            {
                if (!localComponents.TryGetValue(name, out var l))
                {
                    if (!PendingEntries.Components.Contains(name) || here.Components.Any(c => c.Name == name))
                        problems.Add($"app {app}: component {name} ({k.SourceFile}) is loaded on Kubernetes but not locally");
                    continue;
                }
                problems.AddRange(Differences(app, k, l));
            }
            // Locally an unscoped component reaches every app; a cluster scopes each to the apps that use it. A component
            // scoped locally to this app must reach it on the cluster too.
            foreach (var (name, l) in localComponents.Where(l => !k8sComponents.ContainsKey(l.Key)))
                if (l.Scopes.Count > 0 || !kubernetes.Components.Any(c => c.Name == name))
                    problems.Add($"app {app}: component {name} is loaded locally but not on Kubernetes");

            var k8sSubscriptions = kubernetes.SubscriptionsFor(app).Select(s => $"{s.PubsubName}/{s.Topic} -> {s.DefaultPath}").Order().ToList();
            var localSubscriptions = here.SubscriptionsFor(app).Select(s => $"{s.PubsubName}/{s.Topic} -> {s.DefaultPath}").Order().ToList();
            if (!k8sSubscriptions.SequenceEqual(localSubscriptions))
                problems.Add($"app {app}: declarative subscriptions [{string.Join(", ", k8sSubscriptions)}] on Kubernetes, [{string.Join(", ", localSubscriptions)}] locally");

            var k8sResiliency = kubernetes.ResiliencyFor(app);
            var localResiliency = here.ResiliencyFor(app);
            foreach (var component in k8sComponents.Keys.Union(localComponents.Keys))
                if (k8sResiliency.ForComponentInbound(component)?.Retry != localResiliency.ForComponentInbound(component)?.Retry
                    || k8sResiliency.ForComponentInbound(component)?.Timeout != localResiliency.ForComponentInbound(component)?.Timeout)
                    problems.Add($"app {app}: resiliency for component {component}'s deliveries differs between Kubernetes and local");
        }
        PolicyAssert.None(problems);
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Dapr_local_reads_the_rendered_configuration_as_it_reads_components_config(string overlay)
    {
        var platform = new Platform(overlay);
        var local = ResourceLoader.LoadConfiguration(Path.Combine(LocalComponents.Folder, "config.yaml"));
        foreach (var config in platform.OfKind("Configuration").Where(m => m.IsDapr))
        {
            var file = Path.Combine(_folder, $"{overlay}-{config.Name}.yaml");
            File.WriteAllText(file, config.Object.ToJsonString());
            var loaded = ResourceLoader.LoadConfiguration(file);
            Assert.True(local.SamplingRate == loaded.SamplingRate, config.At("spec.tracing.samplingRate", $"{loaded.SamplingRate}, but components/config.yaml has {local.SamplingRate}"));
            Assert.True(local.EnabledFeatures.Order().SequenceEqual(loaded.EnabledFeatures.Order()), config.At("spec.features", "differ from components/config.yaml's"));
        }
    }

    /// <summary>
    /// Writes the documents to a folder of their own and loads it with dapr-local's loader. Secret stores become
    /// environment stores (a cluster's read Kubernetes Secrets, the local ones files that may not exist here), and a
    /// reference with no store names the one the Dapr operator resolves on a cluster.
    /// </summary>
    private ResourceSet Load(string name, IEnumerable<JsonObject> documents)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_folder, name)).FullName;
        var index = 0;
        var needsDefaultStore = false;
        foreach (var original in documents)
        {
            var doc = original.DeepClone().AsObject();
            doc.Remove("source");
            if (doc["kind"]?.ToString() == "Component")
            {
                var spec = doc["spec"]!.AsObject();
                if (spec["type"]?.ToString().StartsWith("secretstores.", StringComparison.Ordinal) == true)
                {
                    spec["type"] = "secretstores.local.env";
                    spec["metadata"] = new JsonArray(new JsonObject { ["name"] = "prefix", ["value"] = SecretPrefix });
                }
                foreach (var entry in Manifest.Objects(spec["metadata"]))
                {
                    if (entry["secretKeyRef"]?["name"]?.ToString() is not { } secret) continue;
                    Environment.SetEnvironmentVariable(SecretPrefix + secret, $"secret {secret}");
                    if (doc["auth"] is null)
                    {
                        doc["auth"] = new JsonObject { ["secretStore"] = DefaultStore };
                        needsDefaultStore = true;
                    }
                }
            }
            File.WriteAllText(Path.Combine(folder, $"{index++:D3}.yaml"), doc.ToJsonString());
        }
        if (needsDefaultStore)
            File.WriteAllText(Path.Combine(folder, DefaultStore + ".yaml"), new JsonObject
            {
                ["apiVersion"] = "dapr.io/v1alpha1",
                ["kind"] = "Component",
                ["metadata"] = new JsonObject { ["name"] = DefaultStore },
                ["spec"] = new JsonObject
                {
                    ["type"] = "secretstores.local.env",
                    ["version"] = "v1",
                    ["metadata"] = new JsonArray(new JsonObject { ["name"] = "prefix", ["value"] = SecretPrefix }),
                },
            }.ToJsonString());
        return new ResourceLoader(NullLogger.Instance).Load([folder]);
    }

    /// <summary>
    /// A value that is different for every replica: <c>{podName}</c> on a cluster, where daprd outside Kubernetes
    /// refuses it and <c>{uuid}</c> takes its place.
    /// </summary>
    private static bool PerReplica(string? value) => value is "{podName}" or "{uuid}";

    private static IEnumerable<string> Differences(string app, ComponentSpec k8s, ComponentSpec local)
    {
        var at = $"app {app}: component {k8s.Name}";
        if (k8s.Type != local.Type) yield return $"{at}: type {k8s.Type} on Kubernetes, {local.Type} locally";
        if (k8s.Kind == "secretstores") yield break;
        foreach (var key in k8s.Metadata.Keys.Union(local.Metadata.Keys, StringComparer.OrdinalIgnoreCase))
        {
            var inK8s = k8s.Metadata.TryGetValue(key, out var k);
            var inLocal = local.Metadata.TryGetValue(key, out var l);
            if (inK8s != inLocal) yield return $"{at}: metadata {key} is set {(inK8s ? "on Kubernetes only" : "locally only")}";
            else if (!Addresses.Contains(key) && k != l && !(PerReplica(k) && PerReplica(l)))
                yield return $"{at}: metadata {key} is '{k}' on Kubernetes, '{l}' locally";
        }
    }
}
