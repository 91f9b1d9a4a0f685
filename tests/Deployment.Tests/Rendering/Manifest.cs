using System.Text.Json.Nodes;

namespace DaprIoT.Deployment.Tests.Rendering;

/// <summary>One object an overlay renders, with the file under deploy/kubernetes it comes from, for messages.</summary>
public sealed record Manifest(string Overlay, JsonObject Object, string Source)
{
    public string ApiVersion => Object["apiVersion"]?.GetValue<string>() ?? "";
    public string Kind => Object["kind"]?.GetValue<string>() ?? "";
    public string Name => Object["metadata"]?["name"]?.GetValue<string>() ?? "";
    public bool IsDapr => ApiVersion.StartsWith("dapr.io/", StringComparison.Ordinal);

    /// <summary>Names the object for a message: <c>deploy/kubernetes/base/services/auth.yaml: Deployment auth (overlay redis)</c>.</summary>
    public override string ToString() => $"{Source}: {Kind} {Name} (overlay {Overlay})";

    /// <summary>A message about one field of this object: the file, the object and the field's path.</summary>
    public string At(string field, string problem) => $"{this} {field}: {problem}";

    public JsonObject? Spec => Object["spec"] as JsonObject;

    public IReadOnlyDictionary<string, string> Labels => Strings(Object["metadata"]?["labels"]);

    public IReadOnlyDictionary<string, string> Annotations => Strings(Object["metadata"]?["annotations"]);

    /// <summary>A Deployment's pod template.</summary>
    public JsonObject? PodTemplate => Spec?["template"] as JsonObject;

    public IReadOnlyDictionary<string, string> PodLabels => Strings(PodTemplate?["metadata"]?["labels"]);

    public IReadOnlyDictionary<string, string> PodAnnotations => Strings(PodTemplate?["metadata"]?["annotations"]);

    public JsonObject? PodSpec => PodTemplate?["spec"] as JsonObject;

    public static IReadOnlyDictionary<string, string> Strings(JsonNode? node) =>
        node is JsonObject map
            ? map.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "")
            : new Dictionary<string, string>();

    public static IEnumerable<JsonObject> Objects(JsonNode? array) => array is JsonArray a ? a.OfType<JsonObject>() : [];
}
