using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaprIoT.Dapr.Internal;

/// <summary>Serializer settings for Dapr's own wire shapes (camelCase, nulls omitted), separate from how apps serialize their data.</summary>
internal static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
