namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>
/// One message as a broker stores it: the bytes daprd wrote (a CloudEvent, or the raw payload) and the
/// publish metadata the broker carries alongside (Redis round-trips it; it becomes delivery headers).
/// </summary>
public sealed record BrokerMessage(string Topic, byte[] Data, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>
    /// For a broker with native TTL, the latest time it would still have handed the message out; a message held by a
    /// paused subscription (app down) past this is not delivered, as it would have expired in the queue.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}
