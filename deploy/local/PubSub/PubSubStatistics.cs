namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>What happened to the messages one sidecar received, counted so that no outcome goes unnoticed.</summary>
public sealed class PubSubStatistics
{
    private long _delivered;
    private long _dropped;
    private long _deadLettered;
    private long _returnedToBroker;

    /// <summary>Acknowledged by the app (2xx with SUCCESS, an empty or an unrecognised body).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Acknowledged without delivery: DROP, 404, expired, or matching no route (also counted when then dead-lettered).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Published to the subscription's dead-letter topic.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Failures handed back to the broker (Redis redelivers; RabbitMQ requeues only with requeueInFailure; in-memory discards).</summary>
    public long ReturnedToBroker => Interlocked.Read(ref _returnedToBroker);

    internal void CountDelivered() => Interlocked.Increment(ref _delivered);
    internal void CountDropped() => Interlocked.Increment(ref _dropped);
    internal void CountDeadLettered() => Interlocked.Increment(ref _deadLettered);
    internal void CountReturnedToBroker() => Interlocked.Increment(ref _returnedToBroker);
}
