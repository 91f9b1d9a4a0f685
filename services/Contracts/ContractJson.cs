using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace DaprIoT.Contracts;

/// <summary>
/// How contracts travel as JSON: on the bus, in actor calls (the actor runtime and every actor proxy use these
/// options, so an actor method can also be called with plain JSON through the sidecar's HTTP API) and in REST.
/// camelCase names, enums as their camelCase names, nulls left out.
/// </summary>
public static class ContractJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>
    /// A contract out of one entry of a bulk delivery: the entry's event is the CloudEvent, its <c>data</c> the contract
    /// (as JSON, or as JSON text), or the contract itself when it was published raw. Null when it is not readable as one.
    /// </summary>
    public static T? FromBulkEntry<T>(JsonElement cloudEvent) where T : class
    {
        var data = cloudEvent.ValueKind == JsonValueKind.Object && cloudEvent.TryGetProperty("data", out var inner) ? inner : cloudEvent;
        try
        {
            return data.ValueKind == JsonValueKind.String
                ? JsonSerializer.Deserialize<T>(data.GetString()!, Options)
                : data.Deserialize<T>(Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly();
        return options;
    }
}
