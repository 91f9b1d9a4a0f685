using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaprIoT.Dapr.Client;

/// <summary>One answer of a bulk get. daprd names the value <c>data</c> (not <c>value</c> as its docs show).</summary>
public sealed record BulkStateItem(string Key, JsonElement? Data, string? ETag, string? Error, IReadOnlyDictionary<string, string>? Metadata)
{
    [JsonIgnore]
    internal JsonSerializerOptions? SerializerOptions { get; init; }

    public bool Found => Data is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } && Error is null;

    public T? DataAs<T>() => Found ? Data!.Value.Deserialize<T>(SerializerOptions ?? new JsonSerializerOptions(JsonSerializerDefaults.Web)) : default;
}
