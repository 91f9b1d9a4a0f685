using System.Text.Json;

namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>
/// The body of <c>POST|PUT /v1.0/bindings/{name}</c>: <c>{"data": any, "metadata": {string: string}, "operation": string}</c>,
/// decoded with the rules of daprd's Go <c>encoding/json</c>: field names match case-insensitively, later
/// duplicates win, <c>null</c> leaves a field empty, and a value of the wrong type fails the whole request.
/// </summary>
public sealed record OutputBindingRequest(JsonElement? Data, IReadOnlyDictionary<string, string> Metadata, string Operation)
{
    /// <summary>Returns null and a reason (for <c>ERR_MALFORMED_REQUEST</c>) when the body is not such an object.</summary>
    public static OutputBindingRequest? Parse(ReadOnlyMemory<byte> body, out string? error)
    {
        error = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 10_000 });
        }
        catch (JsonException e)
        {
            error = body.IsEmpty ? "unexpected end of JSON input" : e.Message;
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null) return new OutputBindingRequest(null, new Dictionary<string, string>(), "");
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"json: cannot unmarshal {GoKind(root)} into Go value of type http.OutputBindingRequest";
                return null;
            }
            JsonElement? data = null;
            var metadata = new Dictionary<string, string>();
            var operation = "";
            foreach (var property in root.EnumerateObject())
            {
                var value = property.Value;
                switch (FieldOf(property.Name))
                {
                    case "data":
                        if (FindOversizedNumber(value) is { } number)
                        {
                            error = $"json: cannot unmarshal number {number} into Go struct field OutputBindingRequest.data of type float64";
                            return null;
                        }
                        data = value.ValueKind == JsonValueKind.Null ? null : value.Clone();
                        break;
                    case "metadata":
                        if (value.ValueKind == JsonValueKind.Null) break;
                        if (value.ValueKind != JsonValueKind.Object)
                        {
                            error = $"json: cannot unmarshal {GoKind(value)} into Go struct field OutputBindingRequest.metadata of type map[string]string";
                            return null;
                        }
                        foreach (var entry in value.EnumerateObject())
                        {
                            if (entry.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                            {
                                error = $"json: cannot unmarshal {GoKind(entry.Value)} into Go struct field OutputBindingRequest.metadata of type string";
                                return null;
                            }
                            metadata[entry.Name] = entry.Value.GetString() ?? "";
                        }
                        break;
                    case "operation":
                        if (value.ValueKind == JsonValueKind.Null) break;
                        if (value.ValueKind != JsonValueKind.String)
                        {
                            error = $"json: cannot unmarshal {GoKind(value)} into Go struct field OutputBindingRequest.operation of type string";
                            return null;
                        }
                        operation = value.GetString()!;
                        break;
                }
            }
            return new OutputBindingRequest(data, metadata, operation);
        }
    }

    private static string? FieldOf(string name) =>
        name.Equals("data", StringComparison.OrdinalIgnoreCase) ? "data"
        : name.Equals("metadata", StringComparison.OrdinalIgnoreCase) ? "metadata"
        : name.Equals("operation", StringComparison.OrdinalIgnoreCase) ? "operation"
        : null;

    private static string? FindOversizedNumber(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                return GoJson.FitsFloat64(value) ? null : value.GetRawText();
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                    if (FindOversizedNumber(item) is { } inArray) return inArray;
                return null;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                    if (FindOversizedNumber(property.Value) is { } inObject) return inObject;
                return null;
            default:
                return null;
        }
    }

    private static string GoKind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        _ => "bool",
    };
}
