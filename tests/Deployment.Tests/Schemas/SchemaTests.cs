using DaprIoT.Deployment.Tests.Rendering;

namespace DaprIoT.Deployment.Tests.Schemas;

/// <summary>Every object every overlay renders is one a cluster with Dapr installed would accept as it is.</summary>
public sealed class SchemaTests
{
    private static readonly Lazy<CrdSchemas> Crds = new(() => new CrdSchemas(Repository.DaprCrds));

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Kubernetes_objects_match_the_Kubernetes_API_schemas(string overlay)
    {
        var core = Overlays.Render(overlay).Where(m => !m.IsDapr).ToList();
        Assert.NotEmpty(core);
        var results = KubernetesSchemas.Validate(core.Select(m => m.Object).ToList());
        var problems = core.Zip(results).SelectMany(p => p.Second.Select(e => p.First.At(e.Length == 0 ? "(root)" : e, "invalid"))).ToList();
        problems.AddRange(core.Select(m => (Manifest: m, Unknown: KnownFields.FirstUnknown(m.Object))).Where(p => p.Unknown is not null).Select(p => $"{p.Manifest} {p.Unknown}"));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Dapr_resources_match_the_Dapr_CRD_schemas(string overlay)
    {
        var dapr = Overlays.Render(overlay).Where(m => m.IsDapr).ToList();
        Assert.Contains(dapr, m => m.Kind == "Component");
        var problems = dapr.SelectMany(m => Crds.Value.Validate(m.Object).Select(e => $"{m} {e}")).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_validators_catch_what_a_cluster_would_refuse()
    {
        // The checks above prove something only if they can fail: a misspelt Dapr field, a wrong type.
        var component = (System.Text.Json.Nodes.JsonObject)YamlJson.Load("test", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: statestore }
            spec:
              type: state.redis
              version: v1
              metadata:
                - { name: redisHost, secretKeyRef: { nme: redis } }
            scope: [auth]
            """)[0];
        var crdErrors = Crds.Value.Validate(component);
        Assert.Contains(crdErrors, e => e.StartsWith("spec.metadata[0].secretKeyRef.nme: unknown field", StringComparison.Ordinal));
        Assert.Contains(crdErrors, e => e.StartsWith("spec.metadata[0].secretKeyRef.name: required", StringComparison.Ordinal));
        Assert.Contains(crdErrors, e => e.StartsWith("scope: unknown field", StringComparison.Ordinal));

        var deployment = (System.Text.Json.Nodes.JsonObject)YamlJson.Load("test", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: auth }
            spec:
              replicas: "2"
              template: { spec: { containers: [ { name: auth, image: auth, ports: [ { containerPort: http } ] } ] } }
            """)[0];
        var misspelt = (System.Text.Json.Nodes.JsonObject)YamlJson.Load("test", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: auth }
            spec:
              selector: { matchLabels: { app: auth } }
              template:
                metadata: { labels: { app: auth } }
                spec: { containers: [ { name: auth, image: auth, readinesProbe: { httpGet: { path: /readyz, port: http } } } ] }
            """)[0];
        Assert.Equal("spec.template.spec.containers[0].readinesProbe: unknown field (a cluster would drop it)", KnownFields.FirstUnknown(misspelt));
        Assert.Null(KnownFields.FirstUnknown((System.Text.Json.Nodes.JsonObject)YamlJson.Load("test", """
            apiVersion: v1
            kind: Service
            metadata: { name: auth }
            spec: { selector: { app: auth }, ports: [ { name: http, port: 80, targetPort: http } ] }
            """)[0]));
        var coreErrors = KubernetesSchemas.Validate([deployment])[0];
        Assert.Contains(coreErrors, e => e.Contains("/spec/replicas must be integer", StringComparison.Ordinal));
        Assert.Contains(coreErrors, e => e.Contains("selector", StringComparison.Ordinal));
        Assert.Contains(coreErrors, e => e.Contains("containerPort must be integer", StringComparison.Ordinal));
    }
}
