namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>Every message the pub/sub block does not deliver is logged here, with its reason: nothing is dropped silently.</summary>
internal static partial class PubSubLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to topic {Topic} on pubsub {Pubsub} ({Kind}, consumer id {ConsumerId})")]
    public static partial void Subscribed(ILogger logger, string pubsub, string topic, string kind, string consumerId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Subscribing to topic {Topic} on pubsub {Pubsub} failed; trying again every {Seconds} s: {Reason}")]
    public static partial void SubscribeFailed(ILogger logger, string pubsub, string topic, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription to topic {Topic} on pubsub {Pubsub} ignored: {Reason}")]
    public static partial void SubscriptionIgnored(ILogger logger, string pubsub, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resumed subscription {Pubsub}/{Topic}: its consumer was kept while the app was down")]
    public static partial void Resumed(ILogger logger, string pubsub, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a message from topic {Topic} on pubsub {Pubsub}: its TTL ran out while the app was down")]
    public static partial void ExpiredWhileAppDown(ILogger logger, string pubsub, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pub/sub component {Pubsub} not loaded (ignoreErrors is true): {Reason}")]
    public static partial void ComponentIgnored(ILogger logger, string pubsub, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped event {EventId} from topic {Topic} on pubsub {Pubsub}: {Reason}")]
    public static partial void Dropped(ILogger logger, string pubsub, string topic, string eventId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} from topic {Topic} on pubsub {Pubsub} sent to dead-letter topic {DeadLetterTopic}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string pubsub, string topic, string eventId, string deadLetterTopic, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery of event {EventId} from topic {Topic} on pubsub {Pubsub} failed; the broker decides on redelivery: {Reason}")]
    public static partial void ReturnedToBroker(ILogger logger, string pubsub, string topic, string eventId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Retrying event {EventId} from topic {Topic} on pubsub {Pubsub} (retry {Retry}) after: {Reason}")]
    public static partial void Retrying(ILogger logger, string pubsub, string topic, string eventId, int retry, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing to topic {Topic} on pubsub {Pubsub} failed: {Reason}")]
    public static partial void PublishFailed(ILogger logger, string pubsub, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pubsub {Pubsub}, topic {Topic}: broker error: {Reason}")]
    public static partial void BrokerError(ILogger logger, string pubsub, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pubsub {Pubsub}, topic {Topic}: entry {EntryId} was trimmed (maxLenApprox) before it was delivered; acknowledged")]
    public static partial void TrimmedWhilePending(ILogger logger, string pubsub, string topic, string entryId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pubsub {Pubsub}, topic {Topic}: entry {EntryId} left pending for redelivery: {Reason}")]
    public static partial void LeftPending(ILogger logger, string pubsub, string topic, string entryId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pubsub {Pubsub}, topic {Topic}: message requeued (requeueInFailure): {Reason}")]
    public static partial void Requeued(ILogger logger, string pubsub, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pubsub {Pubsub}, topic {Topic}: message NACKed without requeue and removed from queue {Queue} (requeueInFailure is false; enableDeadLetter decides whether RabbitMQ keeps it): {Reason}")]
    public static partial void DiscardedByBroker(ILogger logger, string pubsub, string topic, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pubsub {Pubsub} (in-memory), topic {Topic}: message discarded, in-memory pub/sub never redelivers: {Reason}")]
    public static partial void InMemoryDiscarded(ILogger logger, string pubsub, string topic, string reason);
}
