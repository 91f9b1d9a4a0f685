using System.Text.Json.Serialization;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>daprd's error body: <c>{"errorCode":"ERR_…","message":"…"}</c>.</summary>
public sealed record DaprError(
    [property: JsonPropertyName("errorCode")] string ErrorCode,
    [property: JsonPropertyName("message")] string Message);
