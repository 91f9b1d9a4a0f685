namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>
/// <c>bindings.mqtt3</c> for one sidecar, following components-contrib's <c>bindings/mqtt3/mqtt.go</c>: a producer
/// connection (<c>{consumerID}-producer</c>, opened on the first publish) and a consumer connection
/// (<c>{consumerID}-consumer</c>) subscribed to <c>topic</c> with QoS 1. Publishing waits for the PUBACK, 10 s per
/// attempt, 3 retries 200 ms apart. Each received message goes to the app with its topic as metadata and is
/// acknowledged to the broker only once the app accepted it. A refused delivery is retried every 5 s up to
/// <c>backOffMaxRetries</c> times (-1: forever), then logged, counted and left unacknowledged, as daprd leaves it:
/// the broker sends it again when a persistent session (<c>cleanSession: "false"</c>) reconnects.
/// Deliveries run concurrently: QoS 1 messages up to the platform broker's in-flight window, QoS 0 messages (which have
/// no window) up to a wider bound of our own.
/// </summary>
internal sealed partial class MqttBinding : IBindingComponent
{
    /// <summary>
    /// The platform's Mosquitto's <c>max_inflight_messages</c> (deploy/local/platform-broker.sh and the Kubernetes
    /// overlay): the most unacknowledged QoS 1 messages daprd's consumer is handed at once there. Mosquitto's default
    /// is 20; a device service's state reports take an actor turn each (tens of milliseconds on a busy machine), so 20
    /// would hold a binding under 1,000 msg/s whatever the CPU left.
    /// </summary>
    public const int MaxConcurrentDeliveries = 100;

    /// <summary>
    /// QoS 0 messages (device telemetry) at once. The broker does not wait for them, and daprd's paho client
    /// (<c>OrderMatters(false)</c>) starts a goroutine for each, without any bound. 200 keeps 10,000 msg/s moving at an
    /// answer time of 20 ms and bounds the connections the sidecar opens to the app.
    /// </summary>
    public const int MaxConcurrentQos0Deliveries = 200;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PublishAttemptTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PublishRetryInterval = TimeSpan.FromMilliseconds(200);
    private const int PublishRetries = 3;
    private static readonly TimeSpan DeliveryRetryInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly string _name;
    private readonly string _owner;
    private readonly MqttBindingMetadata _metadata;
    private readonly ILogger _logger;
    private readonly MqttClientIdRegistry? _clientIds;
    private readonly SemaphoreSlim _producerLock = new(1, 1);
    private readonly Lock _readLock = new();
    private MqttConnection? _producer;
    private MqttConnection? _consumer;
    private Task? _dispatch;
    private CancellationTokenSource? _readStop;

    public MqttBinding(string name, string owner, MqttBindingMetadata metadata, ILogger logger, MqttClientIdRegistry? clientIds)
    {
        _name = name;
        _owner = owner;
        _metadata = metadata;
        _logger = logger;
        _clientIds = clientIds;
        if (metadata.QosGiven) Log.QosIgnored(logger, name);
    }

    public IReadOnlyList<string> Operations { get; } = ["create"];

    public InputBindingCounters Counters { get; } = new();

    /// <summary>The consumer connection while reading (for diagnostics and tests).</summary>
    public MqttConnection? Consumer => _consumer;

    public async Task InvokeAsync(OutputBindingInvocation invocation, CancellationToken cancellationToken)
    {
        var producer = await GetProducerAsync(cancellationToken).ConfigureAwait(false);
        var topic = invocation.Metadata.TryGetValue("topic", out var requested) && requested.Length > 0 ? requested : _metadata.Topic;
        string? lastError = null;
        for (var attempt = 0; attempt <= PublishRetries; attempt++)
        {
            if (attempt > 0) await Task.Delay(PublishRetryInterval, cancellationToken).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PublishAttemptTimeout);
            try
            {
                // QoS is always 1 and retain always the component's: per-request retain is not implemented by daprd.
                await producer.PublishAsync(topic, invocation.Data, 1, _metadata.Retain, timeout.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastError = "mqtt client timeout";
            }
            catch (MqttConnectionException e)
            {
                lastError = e.Message;
            }
            Log.PublishRetry(_logger, _name, topic, lastError);
        }
        throw new OutputBindingException($"failed to publish: {lastError}");
    }

    public async Task<bool> StartReadingAsync(Func<InputBindingEvent, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        MqttConnection consumer;
        lock (_readLock)
        {
            if (_consumer is not null) return true;
            try
            {
                consumer = new MqttConnection(ClientOptions(_metadata.ConsumerClientId, [_metadata.Topic]), _logger);
            }
            catch (MqttConnectionException e)
            {
                Log.ReadImpossible(_logger, _name, e.Message);
                return false;
            }
            _consumer = consumer;
            _readStop = new CancellationTokenSource();
            var stop = _readStop.Token;
            _dispatch = Task.Run(() => DispatchAsync(consumer, handler, stop), CancellationToken.None);
        }
        ClaimClientId(_metadata.ConsumerClientId);
        Log.Subscribing(_logger, _name, _metadata.Topic);
        try
        {
            await consumer.ConnectAsync(ConnectTimeout, cancellationToken).ConfigureAwait(false);
            await consumer.Subscribed.WaitAsync(ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MqttConnectionException or TimeoutException)
        {
            // daprd logs this too; its client, like ours, keeps retrying and subscribes once the broker answers.
            Log.ReadNotStarted(_logger, _name, e.Message);
        }
        return true;
    }

    public async Task StopReadingAsync(CancellationToken cancellationToken)
    {
        MqttConnection? consumer;
        Task? dispatch;
        CancellationTokenSource? readStop;
        lock (_readLock)
        {
            (consumer, dispatch, readStop) = (_consumer, _dispatch, _readStop);
            (_consumer, _dispatch, _readStop) = (null, null, null);
        }
        if (consumer is null) return;
        Log.Unsubscribing(_logger, _name, _metadata.Topic);
        _clientIds?.Release(_metadata.ConsumerClientId, _owner);
        // What was already received is still delivered, within a grace period, and acknowledged over the
        // connection, which stays open until then; what arrives meanwhile is left unacknowledged for the broker
        // to send again. Closing without unsubscribing keeps a persistent session's subscription, as in daprd.
        consumer.StopReceiving();
        readStop!.CancelAfter(StopGrace);
        await using (cancellationToken.Register(readStop.Cancel))
            await dispatch!.ConfigureAwait(false);
        readStop.Dispose();
        await consumer.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopReadingAsync(CancellationToken.None).ConfigureAwait(false);
        await _producerLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_producer is not null)
            {
                await _producer.DisposeAsync().ConfigureAwait(false);
                _clientIds?.Release(_metadata.ProducerClientId, _owner);
            }
            _producer = null;
        }
        finally
        {
            _producerLock.Release();
        }
    }

    private async Task<MqttConnection> GetProducerAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _producer) is { } existing) return existing;
        await _producerLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_producer is not null) return _producer;
            MqttConnection producer;
            try
            {
                producer = new MqttConnection(ClientOptions(_metadata.ProducerClientId, []), _logger);
            }
            catch (MqttConnectionException e)
            {
                throw new OutputBindingException($"failed to create producer connection: {e.Message}", e);
            }
            try
            {
                await producer.ConnectAsync(ConnectTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (MqttConnectionException e)
            {
                await producer.DisposeAsync().ConfigureAwait(false);
                // Like daprd, a failed connection is not kept: the next request tries again.
                throw new OutputBindingException($"failed to create producer connection: failed to connect: {e.Message}", e);
            }
            catch
            {
                await producer.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            ClaimClientId(_metadata.ProducerClientId);
            Volatile.Write(ref _producer, producer);
            return producer;
        }
        finally
        {
            _producerLock.Release();
        }
    }

    private async Task DispatchAsync(MqttConnection consumer, Func<InputBindingEvent, CancellationToken, Task> handler, CancellationToken stop)
    {
        using var slots = new SemaphoreSlim(MaxConcurrentDeliveries, MaxConcurrentDeliveries);
        using var qos0Slots = new SemaphoreSlim(MaxConcurrentQos0Deliveries, MaxConcurrentQos0Deliveries);
        var abandonedInBuffer = 0;
        await foreach (var message in consumer.Messages.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (stop.IsCancellationRequested)
            {
                abandonedInBuffer++;
                Counters.CountAbandoned();
                continue;
            }
            var slot = message.Qos == 0 ? qos0Slots : slots;
            try
            {
                await slot.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                abandonedInBuffer++;
                Counters.CountAbandoned();
                continue;
            }
            _ = Task.Run(async () =>
            {
                try { await DeliverAsync(message, handler, stop).ConfigureAwait(false); }
                finally { slot.Release(); }
            }, CancellationToken.None);
        }
        // Every slot back means every delivery finished; they all watch `stop`.
        for (var i = 0; i < MaxConcurrentDeliveries; i++) await slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        for (var i = 0; i < MaxConcurrentQos0Deliveries; i++) await qos0Slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        if (abandonedInBuffer > 0) Log.AbandonedOnStop(_logger, _name, abandonedInBuffer);
    }

    private async Task DeliverAsync(MqttMessage message, Func<InputBindingEvent, CancellationToken, Task> handler, CancellationToken stop)
    {
        var bindingEvent = new InputBindingEvent(message.Payload, new Dictionary<string, string> { ["topic"] = message.Topic });
        for (var retries = 0; ; retries++)
        {
            try
            {
                await handler(bindingEvent, stop).ConfigureAwait(false);
                if (!await message.AcknowledgeAsync(CancellationToken.None).ConfigureAwait(false))
                    Log.NotAcknowledged(_logger, _name, message.Topic);
                Counters.CountDelivered();
                if (retries > 0) Log.DeliveredAfterRetry(_logger, _name, message.Topic, retries);
                return;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Counters.CountAbandoned();
                Log.AbandonedDelivery(_logger, _name, message.Topic);
                return;
            }
            // Whatever made the delivery fail (status, connection, timeout), daprd's answer is the same: retry, then give up.
            catch (Exception e)
            {
                if (_metadata.BackOffMaxRetries >= 0 && retries >= _metadata.BackOffMaxRetries)
                {
                    Counters.CountRejected();
                    Log.Rejected(_logger, _name, message.Topic, Counters.Rejected, e.Message);
                    return;
                }
                Log.DeliveryRetry(_logger, _name, message.Topic, e.Message);
                Counters.CountRetry();
            }
            try
            {
                await Task.Delay(DeliveryRetryInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Counters.CountAbandoned();
                Log.AbandonedDelivery(_logger, _name, message.Topic);
                return;
            }
        }
    }

    private void ClaimClientId(string clientId)
    {
        if (_clientIds?.Claim(clientId, _owner) is { } other) Log.SharedClientId(_logger, _name, clientId, other);
    }

    private MqttConnectionOptions ClientOptions(string clientId, IReadOnlyList<string> subscriptions) => new()
    {
        // The consumer speaks MQTT 5 so that its Receive Maximum (65535), not mosquitto's 3.1.1 in-flight window of
        // 20 and queue of 1000, bounds what the broker hands it: unacknowledged messages (waiting for the app or
        // being delivered) stay in flight, and a burst is not dropped by the broker. The producer publishes only
        // and stays on 3.1.1, as daprd's paho client does.
        Mqtt5 = subscriptions.Count > 0,
        AcknowledgeManually = subscriptions.Count > 0,
        Host = _metadata.Host,
        Port = _metadata.Port,
        ClientId = clientId,
        CleanSession = _metadata.CleanSession,
        Username = _metadata.Username,
        Password = _metadata.Password,
        Tls = _metadata.UseTls ? new MqttTlsOptions(_metadata.CaCert, _metadata.ClientCert, _metadata.ClientKey) : null,
        Subscriptions = subscriptions,
    };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Binding {Name}: metadata property 'qos' has been deprecated and is ignored; qos is set to 1")]
        public static partial void QosIgnored(ILogger logger, string name);

        [LoggerMessage(Level = LogLevel.Information, Message = "Binding {Name}: subscribing to topic {Topic} (qos: 1)")]
        public static partial void Subscribing(ILogger logger, string name, string topic);

        [LoggerMessage(Level = LogLevel.Information, Message = "Binding {Name}: disconnecting and stopping subscription to topic {Topic}")]
        public static partial void Unsubscribing(ILogger logger, string name, string topic);

        [LoggerMessage(Level = LogLevel.Error, Message = "Error reading from input binding {Name}: {Reason}; the client keeps retrying and will subscribe once connected")]
        public static partial void ReadNotStarted(ILogger logger, string name, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "Error reading from input binding {Name}: {Reason}")]
        public static partial void ReadImpossible(ILogger logger, string name, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Binding {Name}: MQTT client id {ClientId} is also used by {OtherOwner}; the broker allows one connection per client id, so they will disconnect each other. Give each replica its own consumerID, e.g. \"{{uuid}}\"")]
        public static partial void SharedClientId(ILogger logger, string name, string clientId, string otherOwner);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Binding {Name}: could not publish to {Topic} ({Reason}); retrying")]
        public static partial void PublishRetry(ILogger logger, string name, string topic, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "Binding {Name}: error processing MQTT message on {Topic} ({Reason}); retrying in 5 s")]
        public static partial void DeliveryRetry(ILogger logger, string name, string topic, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Binding {Name}: successfully processed MQTT message on {Topic} after {Retries} retries")]
        public static partial void DeliveredAfterRetry(ILogger logger, string name, string topic, int retries);

        [LoggerMessage(Level = LogLevel.Error, Message = "Binding {Name}: failed processing MQTT message on {Topic}, giving up and leaving it unacknowledged ({Rejected} rejected so far): {Reason}")]
        public static partial void Rejected(ILogger logger, string name, string topic, long rejected, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Binding {Name}: the app accepted a message on {Topic} but its connection was lost before the acknowledgement; a persistent session gets it again")]
        public static partial void NotAcknowledged(ILogger logger, string name, string topic);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Binding {Name}: stopped while delivering a message on {Topic}; it was not delivered")]
        public static partial void AbandonedDelivery(ILogger logger, string name, string topic);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Binding {Name}: stopped with {Count} received messages not yet delivered; they were neither delivered nor acknowledged")]
        public static partial void AbandonedOnStop(ILogger logger, string name, int count);
    }
}
