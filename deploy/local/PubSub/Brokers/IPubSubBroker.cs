namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>
/// One pub/sub component as one sidecar sees it (daprd initialises each component per sidecar, with that
/// sidecar's resolved <c>consumerID</c>). Connections open lazily, so a broker that is down fails the first
/// publish or subscribe with a clear error instead of the sidecar's start.
/// </summary>
public interface IPubSubBroker : IAsyncDisposable
{
    string ComponentName { get; }

    /// <summary>Whether the broker expires messages itself (<c>ttlInSeconds</c>); otherwise daprd writes
    /// <c>expiration</c> into the CloudEvent and the subscribing sidecar drops expired events.</summary>
    bool HasNativeTtl { get; }

    /// <summary>Returns once the broker accepted the message (daprd's 204).</summary>
    Task PublishAsync(string topic, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);

    /// <summary>Starts consuming; disposing the result stops it and leaves unacknowledged messages to the broker.</summary>
    Task<IAsyncDisposable> SubscribeAsync(BrokerSubscription subscription, MessageHandler handler, CancellationToken cancellationToken);
}
