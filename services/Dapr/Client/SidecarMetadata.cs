using System.Text.Json;

namespace DaprIoT.Dapr.Client;

/// <summary>The main fields of <c>GET /v1.0/metadata</c>; everything else stays readable in <see cref="Raw"/>.</summary>
public sealed record SidecarMetadata(
    string? Id,
    string? RuntimeVersion,
    IReadOnlyList<string> EnabledFeatures,
    IReadOnlyList<ActiveActorsCount> Actors,
    IReadOnlyList<RegisteredComponent> Components,
    IReadOnlyDictionary<string, string> Extended,
    JsonElement Raw)
{
    internal static SidecarMetadata Parse(byte[] json)
    {
        var root = JsonDocument.Parse(json).RootElement.Clone();
        var options = Internal.ProtocolJson.Options;
        return new SidecarMetadata(
            String(root, "id"),
            String(root, "runtimeVersion"),
            Read<List<string>>(root, "enabledFeatures", options) ?? [],
            Read<List<ActiveActorsCount>>(root, "actors", options) ?? [],
            Read<List<RegisteredComponent>>(root, "components", options) ?? [],
            Read<Dictionary<string, string>>(root, "extended", options) ?? [],
            root);
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static T? Read<T>(JsonElement root, string name, JsonSerializerOptions options) =>
        root.TryGetProperty(name, out var value) && value.ValueKind is not JsonValueKind.Null ? value.Deserialize<T>(options) : default;
}
