using System.Text.Json;

namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>
/// The body of <c>POST|PUT /v1.0/bindings/{name}</c>: <c>{"data": any, "metadata": {string: string}, "operation": string}</c>,
/// decoded with the rules of daprd's Go <c>encoding/json</c>: field names match case-insensitively, later
/// duplicates win, <c>null</c> leaves a field empty, and a value of the wrong type fails the whole request.
/// </summary>
public sealed record OutputBindingRequest(GoJsonValue? Data, IReadOnlyDictionary<string, string> Metadata, string Operation)
{
    /// <summary>Returns null and a reason (for <c>ERR_MALFORMED_REQUEST</c>) when the body is not such an object.</summary>
    public static OutputBindingRequest? Parse(ReadOnlySpan<byte> body, out string? error)
    {
        error = null;
        GoJsonValue root;
        try
        {
            root = GoJsonValue.Parse(body);
        }
        catch (JsonException e)
        {
            error = e.Message;
            return null;
        }
        if (root.Kind == JsonValueKind.Null) return new OutputBindingRequest(null, new Dictionary<string, string>(), "");
        if (root.Kind != JsonValueKind.Object)
        {
            error = $"json: cannot unmarshal {GoKind(root)} into Go value of type http.OutputBindingRequest";
            return null;
        }
        GoJsonValue? data = null;
        var metadata = new Dictionary<string, string>();
        var operation = "";
        foreach (var (name, value) in root.Members)
        {
            switch (FieldOf(name))
            {
                case "data":
                    data = value.Kind == JsonValueKind.Null ? null : value;
                    break;
                case "metadata":
                    if (value.Kind == JsonValueKind.Null) break;
                    if (value.Kind != JsonValueKind.Object)
                    {
                        error = $"json: cannot unmarshal {GoKind(value)} into Go struct field OutputBindingRequest.metadata of type map[string]string";
                        return null;
                    }
                    foreach (var (key, entry) in value.Members)
                    {
                        if (entry.Kind is not (JsonValueKind.String or JsonValueKind.Null))
                        {
                            error = $"json: cannot unmarshal {GoKind(entry)} into Go struct field OutputBindingRequest.metadata of type string";
                            return null;
                        }
                        metadata[key] = entry.Text ?? "";
                    }
                    break;
                case "operation":
                    if (value.Kind == JsonValueKind.Null) break;
                    if (value.Kind != JsonValueKind.String)
                    {
                        error = $"json: cannot unmarshal {GoKind(value)} into Go struct field OutputBindingRequest.operation of type string";
                        return null;
                    }
                    operation = value.Text!;
                    break;
            }
        }
        return new OutputBindingRequest(data, metadata, operation);
    }

    private static string? FieldOf(string name) =>
        name.Equals("data", StringComparison.OrdinalIgnoreCase) ? "data"
        : name.Equals("metadata", StringComparison.OrdinalIgnoreCase) ? "metadata"
        : name.Equals("operation", StringComparison.OrdinalIgnoreCase) ? "operation"
        : null;

    private static string GoKind(GoJsonValue value) => value.Kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        _ => "bool",
    };
}
