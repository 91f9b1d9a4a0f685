using System.Text.Json.Nodes;

namespace DaprIoT.Deployment.Tests.Rendering;

public sealed class YamlJsonTests
{
    [Fact]
    public void Bad_yaml_is_reported_with_its_file_line_and_column()
    {
        var error = Assert.Throws<InvalidDataException>(() => YamlJson.Load("deploy/kubernetes/base/x.yaml", """
            apiVersion: v1
            kind: Service
            metadata:
              name: [frontend
            """));
        Assert.StartsWith("deploy/kubernetes/base/x.yaml:", error.Message, StringComparison.Ordinal);
        Assert.Matches(@"^deploy/kubernetes/base/x\.yaml:\d+:\d+: not valid YAML", error.Message);
    }

    [Fact]
    public void Plain_scalars_are_typed_as_Kubernetes_reads_them_and_quoted_ones_stay_text()
    {
        var doc = (JsonObject)YamlJson.Load("test", """
            a: 5101
            b: "5101"
            c: true
            d: 'true'
            e: 0.5
            f: ~
            g: 1m
            """)[0];
        Assert.Equal(5101, doc["a"]!.GetValue<long>());
        Assert.Equal("5101", doc["b"]!.GetValue<string>());
        Assert.True(doc["c"]!.GetValue<bool>());
        Assert.Equal("true", doc["d"]!.GetValue<string>());
        Assert.Equal(0.5, doc["e"]!.GetValue<double>());
        Assert.Null(doc["f"]);
        Assert.Equal("1m", doc["g"]!.GetValue<string>());
    }

    [Fact]
    public void Every_overlay_renders_and_names_each_object_by_its_file()
    {
        Assert.Equal(["dev", "rabbitmq", "redis"], Overlays.Names);
        foreach (var overlay in Overlays.Names)
        {
            var rendered = Overlays.Render(overlay);
            Assert.NotEmpty(rendered);
            Assert.All(rendered, m => Assert.StartsWith("deploy/kubernetes/", m.Source, StringComparison.Ordinal));
            Assert.All(rendered, m => Assert.Equal("dapriot", m.Kind == "Namespace" ? m.Name : m.Object["metadata"]?["namespace"]?.ToString()));
        }
        var pubsub = Overlays.Render("rabbitmq").Single(m => m.Kind == "Component" && m.Name == "pubsub");
        Assert.Equal("deploy/kubernetes/overlays/rabbitmq/pubsub.yaml", pubsub.Source);
    }
}
