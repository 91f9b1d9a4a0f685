using DaprIoT.Dapr.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.Dapr.Actors;

public static class ActorEndpoints
{
    private const int FallbackHealthCheckOrder = 1000;

    /// <summary>
    /// Maps the routes the sidecar calls on an actor host: <c>GET /dapr/config</c>, <c>PUT /actors/{type}/{id}/method/{method}</c>,
    /// the <c>remind</c> and <c>timer</c> callbacks, <c>DELETE /actors/{type}/{id}</c>, and <c>GET /healthz</c> → 200
    /// unless the app maps its own.
    /// </summary>
    public static IEndpointRouteBuilder MapActorsHandlers(this IEndpointRouteBuilder endpoints, bool mapHealthCheck = true)
    {
        var runtime = endpoints.ServiceProvider.GetService<ActorRuntime>()
            ?? throw new InvalidOperationException("MapActorsHandlers needs the actor runtime: call builder.Services.AddActors(options => options.RegisterActor<T>()) first.");

        endpoints.MapGet("/dapr/config", () => Results.Json(runtime.BuildConfig(), ProtocolJson.Options));
        endpoints.MapPut("/actors/{actorType}/{actorId}/method/remind/{reminderName}", async (HttpContext context, string actorType, string actorId, string reminderName) =>
        {
            var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
            var result = await runtime.ReceiveReminderAsync(actorType, actorId, reminderName, body, context.RequestAborted);
            await result.WriteAsync(context.Response, context.RequestAborted);
        });
        endpoints.MapPut("/actors/{actorType}/{actorId}/method/timer/{timerName}", async (HttpContext context, string actorType, string actorId, string timerName) =>
        {
            var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
            var result = await runtime.ReceiveTimerAsync(actorType, actorId, timerName, body, context.RequestAborted);
            await result.WriteAsync(context.Response, context.RequestAborted);
        });
        endpoints.MapPut("/actors/{actorType}/{actorId}/method/{methodName}", async (HttpContext context, string actorType, string actorId, string methodName) =>
        {
            var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
            var result = await runtime.InvokeMethodAsync(actorType, actorId, methodName, body, context.RequestAborted);
            await result.WriteAsync(context.Response, context.RequestAborted);
        });
        endpoints.MapDelete("/actors/{actorType}/{actorId}", async (HttpContext context, string actorType, string actorId) =>
        {
            var result = await runtime.DeactivateAsync(actorType, actorId, context.RequestAborted);
            await result.WriteAsync(context.Response, context.RequestAborted);
        });
        if (mapHealthCheck)
        {
            // A late order lets an app's own /healthz (e.g. from service defaults) win instead of making the route ambiguous.
            endpoints.MapGet("/healthz", () => Results.Ok()).WithOrder(FallbackHealthCheckOrder);
        }

        return endpoints;
    }
}
