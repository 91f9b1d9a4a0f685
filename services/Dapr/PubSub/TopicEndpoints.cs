using DaprIoT.Dapr.CloudEvents;
using DaprIoT.Dapr.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprIoT.Dapr.PubSub;

public static class TopicEndpoints
{
    private const string LoggerCategory = "DaprIoT.Dapr.PubSub";

    /// <summary>
    /// Subscribes <paramref name="handler"/> to <paramref name="topic"/> on <paramref name="pubSubName"/>: maps
    /// <c>POST {route}</c> (and each rule's path) and declares the subscription on <c>GET /dapr/subscribe</c>.
    /// A handler exception answers 500, which daprd treats as a retriable failure.
    /// </summary>
    public static IEndpointConventionBuilder MapTopicHandler(this IEndpointRouteBuilder endpoints, string pubSubName, string topic, string route,
        Func<CloudEvent, HttpContext, Task<TopicResponse>> handler, TopicHandlerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pubSubName);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(route);
        options ??= new TopicHandlerOptions();
        route = "/" + route.TrimStart('/');

        var metadata = new Dictionary<string, string>(options.Metadata, StringComparer.Ordinal);
        if (options.RawPayload)
        {
            metadata["rawPayload"] = "true";
        }

        var rules = options.Rules.Select(rule => (rule.Match, Path: "/" + rule.Path.TrimStart('/'))).ToList();
        var registry = SubscriptionRegistry.For(endpoints.ServiceProvider);
        registry.Add(new DeclaredSubscription(pubSubName, topic, route, rules, metadata, options.DeadLetterTopic));
        MapSubscribeEndpoint(endpoints, registry);

        foreach (var rule in options.Rules)
        {
            MapDelivery(endpoints, "/" + rule.Path.TrimStart('/'), pubSubName, topic, rule.Handler);
        }

        return MapDelivery(endpoints, route, pubSubName, topic, handler);
    }

    private static void MapSubscribeEndpoint(IEndpointRouteBuilder endpoints, SubscriptionRegistry registry)
    {
        if (!registry.ClaimSubscribeEndpoint())
        {
            return;
        }

        // Built when daprd asks (once, at startup), so it lists every handler mapped before the app started listening.
        endpoints.MapGet("/dapr/subscribe", () => Results.Json(registry.ToWire(), ProtocolJson.Options));
    }

    private static IEndpointConventionBuilder MapDelivery(IEndpointRouteBuilder endpoints, string path, string pubSubName, string topic,
        Func<CloudEvent, HttpContext, Task<TopicResponse>> handler) =>
        endpoints.MapPost(path, async (HttpContext context) =>
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
            var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
            CloudEvent cloudEvent;
            try
            {
                cloudEvent = CloudEventParser.Parse(body, context.Request.ContentType, context.Request.Headers);
            }
            catch (CloudEventFormatException ex)
            {
                DaprLog.DeliveryRejected(logger, path, ex.Message);
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a readable CloudEvent", detail: ex.Message);
            }

            cloudEvent = cloudEvent with { Topic = cloudEvent.Topic ?? topic, PubSubName = cloudEvent.PubSubName ?? pubSubName };
            try
            {
                var response = await handler(cloudEvent, context);
                return response.ToResult();
            }
            catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                // daprd only sees the status: 500 makes it retry (resiliency policy, then dead letter or broker redelivery).
                DaprLog.TopicHandlerFailed(logger, pubSubName, topic, cloudEvent.Id, ex);
                return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Topic handler failed",
                    detail: $"The handler for topic '{topic}' failed on event '{cloudEvent.Id}'; the sidecar will retry it.");
            }
        });
}
