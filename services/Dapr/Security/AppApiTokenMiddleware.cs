using System.Security.Cryptography;
using System.Text;
using DaprIoT.Dapr.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DaprIoT.Dapr.Security;

/// <summary>Rejects requests that lack the sidecar's <c>dapr-api-token</c> (APP_API_TOKEN) with 401.</summary>
internal sealed class AppApiTokenMiddleware(RequestDelegate next, byte[] expectedToken, AppApiTokenOptions options, ILogger<AppApiTokenMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (options.ExemptPaths.Any(path => context.Request.Path.StartsWithSegments(path, StringComparison.OrdinalIgnoreCase))
            || IsValid(context.Request.Headers["dapr-api-token"].ToString()))
        {
            return next(context);
        }

        DaprLog.AppTokenRejected(logger, context.Request.Method, context.Request.Path);
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid Dapr API token",
            detail: "Requests to this app must come through its Dapr sidecar, which sends the dapr-api-token header.").ExecuteAsync(context);
    }

    private bool IsValid(string presented) =>
        presented.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), expectedToken);
}
