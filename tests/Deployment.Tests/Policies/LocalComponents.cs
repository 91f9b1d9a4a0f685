using System.Text.Json.Nodes;
using DaprIoT.Deployment.Tests.Rendering;

namespace DaprIoT.Deployment.Tests.Policies;

/// <summary>The component YAML <c>./run.sh</c> and <c>dapr run -f .</c> use: components/common plus one bus folder.</summary>
public static class LocalComponents
{
    public static string Folder => Path.Combine(Repository.Root, "components");

    /// <summary>The bus folder (components/redis, components/rabbitmq) whose pubsub has the rendered pubsub's type.</summary>
    public static string BusFolderFor(Platform platform)
    {
        var type = platform.Components.FirstOrDefault(c => c.Name == "pubsub")?.Spec?["type"]?.ToString()
            ?? throw new InvalidOperationException("the overlay renders no component named pubsub");
        return Directory.GetDirectories(Folder).Where(d => Path.GetFileName(d) != "common")
            .FirstOrDefault(d => Documents(d).Any(c => c["kind"]?.ToString() == "Component" && c["metadata"]?["name"]?.ToString() == "pubsub" && c["spec"]?["type"]?.ToString() == type))
            ?? throw new InvalidOperationException($"no folder of components/ has a pubsub of type {type}");
    }

    /// <summary>Every document of the folders' YAML files, each with its file in <c>source</c> (for messages).</summary>
    public static IEnumerable<JsonObject> Documents(params string[] folders) =>
        folders.SelectMany(f => Directory.GetFiles(f, "*.yaml").Order(StringComparer.Ordinal))
            .SelectMany(file => YamlJson.LoadFile(file).OfType<JsonObject>().Select(o =>
            {
                o["source"] = Repository.Relative(file);
                return o;
            }));

    /// <summary>The type a local component has on Kubernetes: a secret store reads Kubernetes Secrets there.</summary>
    public static string KubernetesType(string localType) =>
        localType.StartsWith("secretstores.local.", StringComparison.Ordinal) ? "secretstores.kubernetes" : localType;
}
