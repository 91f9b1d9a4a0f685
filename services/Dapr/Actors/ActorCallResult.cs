using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace DaprIoT.Dapr.Actors;

/// <summary>The HTTP answer to one sidecar → actor call. Success is exactly 200: daprd treats 204 as a failure.</summary>
internal sealed record ActorCallResult(int StatusCode, byte[] Body, string? ContentType, bool IsActorError)
{
    /// <summary>Marks an application-level actor error, so daprd relays status and body to the caller.</summary>
    public const string ActorErrorHeader = "X-Daprerrorresponseheader";

    public static ActorCallResult Empty { get; } = new(StatusCodes.Status200OK, [], null, false);

    public static ActorCallResult Json(object? value, Type type, JsonSerializerOptions options) =>
        new(StatusCodes.Status200OK, JsonSerializer.SerializeToUtf8Bytes(value, type, options), "application/json", false);

    public static ActorCallResult Problem(int statusCode, string title, string detail, bool isActorError) =>
        new(statusCode, JsonSerializer.SerializeToUtf8Bytes(new ProblemDetails { Status = statusCode, Title = title, Detail = detail }),
            "application/problem+json", isActorError);

    public async Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCode;
        if (IsActorError)
        {
            response.Headers[ActorErrorHeader] = "true";
        }

        if (ContentType is not null)
        {
            response.ContentType = ContentType;
        }

        if (Body.Length > 0)
        {
            await response.Body.WriteAsync(Body, cancellationToken);
        }
    }
}
