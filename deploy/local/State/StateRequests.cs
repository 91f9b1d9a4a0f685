using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.State;

/// <summary>One item of a save, or the <c>request</c> of a transaction operation, before the key prefix is applied.</summary>
internal sealed record StateWriteRequest(
    string Key,
    byte[] Value,
    string? ETag,
    IReadOnlyDictionary<string, string> Metadata,
    string? Concurrency,
    string? Consistency);

/// <summary>One key to delete, before the key prefix is applied; <paramref name="ETag"/> null means unconditional.</summary>
internal sealed record StateDeleteRequest(string Key, string? ETag, string? Concurrency, string? Consistency);

internal sealed record BulkGetRequest(IReadOnlyList<string> Keys, int Parallelism);

internal sealed record TransactionOperation(string Operation, StateWriteRequest Request);

internal sealed record TransactionRequest(IReadOnlyList<TransactionOperation> Operations, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Reads the state API's JSON bodies the way daprd decodes them, keeping each <c>value</c> as the exact JSON text
/// the app sent. Shape errors throw <see cref="StateErrors.Malformed"/>.
/// </summary>
internal static class StateRequests
{
    private static readonly byte[] JsonNull = "null"u8.ToArray();

    public static async Task<JsonDocument> ParseAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, cancellationToken);
        try
        {
            return JsonDocument.Parse(GoUtf8.ReplaceInvalid(body.ToArray()));
        }
        catch (JsonException e)
        {
            throw StateErrors.Malformed($"failed deserializing HTTP body: {e.Message}");
        }
    }

    public static IReadOnlyList<StateWriteRequest> SaveItems(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Array)
            throw StateErrors.Malformed($"the body must be a JSON array of state items, not {Describe(body)}");
        var items = new List<StateWriteRequest>(body.GetArrayLength());
        foreach (var element in body.EnumerateArray())
        {
            var item = WriteRequest(element, "state item");
            // daprd's own wording for this case.
            if (item.Key.Length == 0) throw StateErrors.Malformed("\"key\" is a required field");
            items.Add(item);
        }
        return items;
    }

    public static BulkGetRequest BulkGet(JsonElement body)
    {
        RequireObject(body, "the body");
        var keys = new List<string>();
        if (Property(body, "keys") is { } keysElement)
        {
            if (keysElement.ValueKind != JsonValueKind.Array)
                throw StateErrors.Malformed($"\"keys\" must be an array of strings, not {Describe(keysElement)}");
            foreach (var key in keysElement.EnumerateArray())
            {
                keys.Add(key.ValueKind == JsonValueKind.String
                    ? key.GetString()!
                    : throw StateErrors.Malformed($"\"keys\" must be an array of strings; found {Describe(key)}"));
            }
        }
        var parallelism = 0;
        if (Property(body, "parallelism") is { } parallelismElement &&
            (parallelismElement.ValueKind != JsonValueKind.Number || !parallelismElement.TryGetInt32(out parallelism)))
            throw StateErrors.Malformed($"\"parallelism\" must be a whole number, not {Describe(parallelismElement)}");
        return new BulkGetRequest(keys, parallelism);
    }

    public static TransactionRequest Transaction(JsonElement body)
    {
        RequireObject(body, "the body");
        var operations = new List<TransactionOperation>();
        if (Property(body, "operations") is { } operationsElement)
        {
            if (operationsElement.ValueKind != JsonValueKind.Array)
                throw StateErrors.Malformed($"\"operations\" must be an array, not {Describe(operationsElement)}");
            foreach (var element in operationsElement.EnumerateArray())
            {
                RequireObject(element, "each operation");
                var operation = OptionalString(element, "operation") ?? "";
                var request = Property(element, "request")
                    ?? throw StateErrors.Malformed($"operation '{operation}' has no \"request\"");
                var parsed = WriteRequest(request, "an operation's \"request\"");
                if (parsed.Key.Length == 0) throw StateErrors.Malformed("\"key\" is a required field of each operation's request");
                operations.Add(new TransactionOperation(operation, parsed));
            }
        }
        return new TransactionRequest(operations, Metadata(body));
    }

    private static StateWriteRequest WriteRequest(JsonElement element, string what)
    {
        RequireObject(element, what);
        var value = Property(element, "value") is { } raw ? JsonMarshal.GetRawUtf8Value(raw).ToArray() : JsonNull;
        string? concurrency = null, consistency = null;
        if (Property(element, "options") is { } options && options.ValueKind != JsonValueKind.Null)
        {
            RequireObject(options, "\"options\"");
            concurrency = OptionalString(options, "concurrency");
            consistency = OptionalString(options, "consistency");
        }
        return new StateWriteRequest(OptionalString(element, "key") ?? "", value, OptionalString(element, "etag"),
            Metadata(element), concurrency, consistency);
    }

    private static Dictionary<string, string> Metadata(JsonElement element)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Property(element, "metadata") is not { ValueKind: not JsonValueKind.Null } metadataElement) return metadata;
        RequireObject(metadataElement, "\"metadata\"");
        foreach (var entry in metadataElement.EnumerateObject())
        {
            metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String
                ? entry.Value.GetString()!
                : throw StateErrors.Malformed($"metadata \"{entry.Name}\" must be a string, not {Describe(entry.Value)}");
        }
        return metadata;
    }

    private static string? OptionalString(JsonElement element, string name) => Property(element, name) switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        { } other => throw StateErrors.Malformed($"\"{name}\" must be a string, not {Describe(other)}"),
    };

    // Go's encoding/json, which daprd uses, matches field names case-insensitively.
    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) return property.Value;
        }
        return null;
    }

    private static void RequireObject(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw StateErrors.Malformed($"{what} must be a JSON object, not {Describe(element)}");
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => string.Create(CultureInfo.InvariantCulture, $"the number {element.GetRawText()}"),
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
