using DaprIoT.Dapr.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprIoT.Dapr.Bindings;

public static class InputBindingEndpoints
{
    // Transport headers, not component metadata.
    private static readonly HashSet<string> TransportHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "content-length", "content-type", "connection", "accept", "accept-encoding", "user-agent",
        "transfer-encoding", "expect", "dapr-api-token",
    };

    /// <summary>
    /// Receives input binding <paramref name="bindingName"/>: <c>POST /{route}</c> (route defaults to the binding name,
    /// as daprd's <c>route</c> metadata does) answers 200 when the handler completes and 500 when it throws, and
    /// <c>OPTIONS /{route}</c> answers 200 so daprd's start-up probe finds the binding.
    /// </summary>
    public static IEndpointConventionBuilder MapInputBinding(this IEndpointRouteBuilder endpoints, string bindingName,
        Func<BindingEvent, HttpContext, Task> handler, string? route = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(bindingName);
        var path = "/" + (route ?? bindingName).TrimStart('/');
        endpoints.MapMethods(path, [HttpMethods.Options], () => Results.Ok());
        return endpoints.MapPost(path, async (HttpContext context) =>
        {
            var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
            var metadata = context.Request.Headers
                .Where(header => !TransportHeaders.Contains(header.Key))
                .ToDictionary(header => header.Key.ToLowerInvariant(), header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            try
            {
                await handler(new BindingEvent(bindingName, body, metadata), context);
            }
            catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("DaprIoT.Dapr.Bindings");
                DaprLog.BindingHandlerFailed(logger, bindingName, ex);
                return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Input binding handler failed",
                    detail: $"The handler for binding '{bindingName}' failed; the component decides whether to redeliver.");
            }

            // Exactly 200: under a resiliency policy daprd retries anything else, 204 included.
            return Results.Ok();
        });
    }
}
