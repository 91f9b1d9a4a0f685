using System.Text.Json;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>daprd's error body (§1.6): <c>{"errorCode":"ERR_...","message":"..."}</c>.</summary>
public static class DaprErrors
{
    public static async Task WriteAsync(HttpContext context, int status, string errorCode, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("errorCode", errorCode);
        writer.WriteString("message", message);
        writer.WriteEndObject();
    }
}
