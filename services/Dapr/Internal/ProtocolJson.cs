using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaprIoT.Dapr.Internal;

/// <summary>Serializer settings for Dapr's own wire shapes (camelCase, nulls omitted), separate from how apps serialize their data.</summary>
internal static class ProtocolJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Read by daprd, never embedded in HTML: keep quotes and '+' readable in CEL expressions and content types.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
