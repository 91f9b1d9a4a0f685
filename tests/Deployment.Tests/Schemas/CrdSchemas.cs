using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DaprIoT.Deployment.Tests.Rendering;

namespace DaprIoT.Deployment.Tests.Schemas;

/// <summary>
/// The Dapr CustomResourceDefinitions' OpenAPI v3 schemas, applied as an API server applies a structural schema with
/// strict field validation: types, required fields, enums, and no field the schema does not know (a cluster would
/// drop it silently, which is how a misspelt setting goes unnoticed).
/// </summary>
public sealed partial class CrdSchemas
{
    private readonly Dictionary<(string ApiVersion, string Kind), JsonObject> _schemas = [];

    public CrdSchemas(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*.yaml"))
        {
            foreach (var crd in YamlJson.LoadFile(file).OfType<JsonObject>().Where(d => d["kind"]?.ToString() == "CustomResourceDefinition"))
            {
                var group = crd["spec"]!["group"]!.ToString();
                var kind = crd["spec"]!["names"]!["kind"]!.ToString();
                foreach (var version in Manifest.Objects(crd["spec"]!["versions"]).Where(v => v["served"]?.GetValue<bool>() == true))
                    _schemas[($"{group}/{version["name"]}", kind)] = (JsonObject)version["schema"]!["openAPIV3Schema"]!;
            }
        }
        if (_schemas.Count == 0) throw new InvalidDataException($"no CustomResourceDefinition in {folder}");
    }

    public IReadOnlyCollection<(string ApiVersion, string Kind)> Kinds => _schemas.Keys;

    /// <summary>Every problem of one object, each naming the field; empty when the object is valid.</summary>
    public IReadOnlyList<string> Validate(JsonObject resource)
    {
        var apiVersion = resource["apiVersion"]?.ToString() ?? "";
        var kind = resource["kind"]?.ToString() ?? "";
        if (!_schemas.TryGetValue((apiVersion, kind), out var schema))
            return [$"apiVersion {apiVersion}, kind {kind}: no served version of a Dapr CRD has it ({string.Join(", ", _schemas.Keys.Select(k => $"{k.Kind} {k.ApiVersion}"))})"];
        var errors = new List<string>();
        var name = resource["metadata"]?["name"]?.ToString();
        if (string.IsNullOrEmpty(name)) errors.Add("metadata.name: required");
        else if (name.Length > 253 || !DnsSubdomain().IsMatch(name)) errors.Add($"metadata.name: '{name}' is not a DNS subdomain (lower-case letters, digits, '-' and '.')");
        // metadata is ObjectMeta, checked by the API server itself rather than by the CRD's schema.
        var body = resource.DeepClone().AsObject();
        body.Remove("metadata");
        Check(body, schema, "", errors, root: true);
        return errors;
    }

    private static void Check(JsonNode? node, JsonObject schema, string path, List<string> errors, bool root = false)
    {
        var at = path.Length == 0 ? "(root)" : path;
        if (node is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true) errors.Add($"{at}: null is not allowed");
            return;
        }
        var preserveUnknown = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
        {
            if (!IsInteger(node) && !IsString(node)) errors.Add($"{at}: must be an integer or a string");
            return;
        }
        var type = schema["type"]?.ToString();
        switch (type)
        {
            case "object":
                if (node is not JsonObject map) { errors.Add($"{at}: must be an object, not {Describe(node)}"); return; }
                var properties = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"];
                foreach (var (key, value) in map)
                {
                    var child = path.Length == 0 ? key : $"{path}.{key}";
                    if (properties?[key] is JsonObject propertySchema) Check(value, propertySchema, child, errors);
                    else if (additional is JsonObject additionalSchema) Check(value, additionalSchema, child, errors);
                    else if (additional is JsonValue allowed && allowed.GetValue<bool>()) { }
                    else if (preserveUnknown) { }
                    else if (root && key is "apiVersion" or "kind") { }
                    else errors.Add($"{child}: unknown field (the schema has {(properties is null ? "no fields here" : string.Join(", ", properties.Select(p => p.Key)))})");
                }
                foreach (var required in schema["required"] is JsonArray r ? r.Select(x => x!.ToString()) : [])
                    if (!map.ContainsKey(required)) errors.Add($"{(path.Length == 0 ? required : $"{path}.{required}")}: required");
                break;
            case "array":
                if (node is not JsonArray array) { errors.Add($"{at}: must be a list, not {Describe(node)}"); return; }
                if (schema["items"] is JsonObject items)
                    for (var i = 0; i < array.Count; i++) Check(array[i], items, $"{path}[{i}]", errors);
                break;
            case "string":
                if (!IsString(node)) errors.Add($"{at}: must be a string, not {Describe(node)} (quote it)");
                break;
            case "integer":
                if (!IsInteger(node)) errors.Add($"{at}: must be an integer, not {Describe(node)}");
                break;
            case "number":
                if (node is not JsonValue v || v.GetValueKind() is not JsonValueKind.Number) errors.Add($"{at}: must be a number, not {Describe(node)}");
                break;
            case "boolean":
                if (node is not JsonValue b || b.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) errors.Add($"{at}: must be true or false, not {Describe(node)}");
                break;
            case null:
                if (!preserveUnknown) errors.Add($"{at}: the schema gives no type here");
                break;
        }
        if (schema["enum"] is JsonArray allowedValues && !allowedValues.Any(a => JsonNode.DeepEquals(a, node)))
            errors.Add($"{at}: {node.ToJsonString()} is not one of {allowedValues.ToJsonString()}");
    }

    private static bool IsString(JsonNode node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    private static bool IsInteger(JsonNode node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out _);

    private static string Describe(JsonNode node) => node switch
    {
        JsonObject => "an object",
        JsonArray => "a list",
        _ => node.ToJsonString(),
    };

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
