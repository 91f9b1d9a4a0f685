using Microsoft.Extensions.Logging;

namespace DaprIoT.Dapr.Internal;

internal static partial class DaprLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Handler for topic {Topic} on {PubSubName} failed for event {EventId}; the sidecar will retry it")]
    public static partial void TopicHandlerFailed(ILogger logger, string pubSubName, string topic, string? eventId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a delivery on {Route}: {Reason}")]
    public static partial void DeliveryRejected(ILogger logger, string route, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Input binding {BindingName} handler failed; the component decides about redelivery")]
    public static partial void BindingHandlerFailed(ILogger logger, string bindingName, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Actor {ActorType}/{ActorId} activated")]
    public static partial void ActorActivated(ILogger logger, string actorType, string actorId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Actor {ActorType}/{ActorId} deactivated")]
    public static partial void ActorDeactivated(ILogger logger, string actorType, string actorId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Actor {ActorType}/{ActorId} failed in {Operation}")]
    public static partial void ActorCallFailed(ILogger logger, string actorType, string actorId, string operation, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Method} {Path}: missing or wrong dapr-api-token")]
    public static partial void AppTokenRejected(ILogger logger, string method, string path);
}
