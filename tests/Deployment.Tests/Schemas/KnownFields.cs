using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace DaprIoT.Deployment.Tests.Schemas;

/// <summary>
/// Fields the Kubernetes API does not know, found by reading each object into the official C# client's model of its
/// kind with unknown members refused: what a server's strict field validation reports, and what would otherwise be
/// dropped without a word (a misspelt <c>readinesProbe</c> is no probe at all).
/// </summary>
public static class KnownFields
{
    private static readonly Dictionary<(string ApiVersion, string Kind), Type> Models = ModelTypes()
        .Select(t => (Type: t, Entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(p => p.Entity is not null && !p.Type.Name.EndsWith("List", StringComparison.Ordinal))
        .GroupBy(p => (string.IsNullOrEmpty(p.Entity!.Group) ? p.Entity.ApiVersion : $"{p.Entity.Group}/{p.Entity.ApiVersion}", p.Entity.Kind))
        .ToDictionary(g => g.Key, g => g.First().Type);

    // The models carry their own converters (quantities, int-or-string) as attributes.
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The first unknown field of the object, or null; an object of a kind without a model is left to the schema check.</summary>
    public static string? FirstUnknown(JsonObject resource)
    {
        var key = (resource["apiVersion"]?.ToString() ?? "", resource["kind"]?.ToString() ?? "");
        if (!Models.TryGetValue(key, out var type)) return null;
        try
        {
            resource.Deserialize(type, Strict);
            return null;
        }
        catch (JsonException e)
        {
            // "The JSON property 'readinesProbe' could not be mapped to any .NET member contained in type
            // 'k8s.Models.V1Container'.", with the path to that property.
            var property = e.Message.Split('\'') is { Length: > 1 } parts ? parts[1] : "?";
            var path = (e.Path ?? "").TrimStart('$').TrimStart('.');
            return e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"{(path.Length == 0 ? property : path)}: unknown field (a cluster would drop it)"
                : $"{(path.Length == 0 ? "(root)" : path)}: {e.Message}";
        }
    }

    // Only the models are used, not the client's HTTP parts.
    private static IEnumerable<Type> ModelTypes()
    {
        try
        {
            return typeof(V1Deployment).Assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>().Where(t => t.Namespace == "k8s.Models");
        }
    }
}
