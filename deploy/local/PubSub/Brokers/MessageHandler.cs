namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>
/// Handles one message for a subscription. Completing means "acknowledge"; throwing means "failed": the broker
/// then redelivers or discards per its own rules (Redis: pending-entry reclaim; RabbitMQ: requeue only with
/// <c>requeueInFailure</c>; in-memory: discard). Cancellation (sidecar stopping) neither acks nor fails.
/// </summary>
public delegate Task MessageHandler(BrokerMessage message, CancellationToken cancellationToken);
