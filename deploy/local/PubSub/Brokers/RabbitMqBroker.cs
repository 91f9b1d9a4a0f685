using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using DaprIoT.LocalRuntime.Components;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>
/// <c>pubsub.rabbitmq</c> as components-contrib does it: exchange = topic (kind <c>exchangeKind</c>, default fanout);
/// queue <c>{consumerID}-{topic}</c> (or subscription metadata <c>queueName</c>) bound to it; <c>durable</c> (default
/// true) and <c>deletedWhenUnused</c> (default true) for both; manual acks; a failed message is NACKed with
/// <c>requeue = requeueInFailure</c> (default false: RabbitMQ then discards it, or dead-letters it with
/// <c>enableDeadLetter</c>); <c>deliveryMode: 2</c> persists messages; <c>publisherConfirm</c> waits for the
/// broker's confirm; native TTL through the message expiration. The client reconnects and re-declares its
/// topology itself every <c>reconnectWaitSeconds</c>.
/// </summary>
public sealed class RabbitMqBroker : IPubSubBroker
{
    private readonly ConnectionFactory _factory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    /// <summary>Exchanges declared on the current publishing channel; changed under <see cref="_gate"/> but for a failed publish's removal.</summary>
    private readonly ConcurrentDictionary<string, byte> _declaredExchanges = new();
    private readonly ConcurrentDictionary<QueueConsumer, byte> _consumers = new();
    private IConnection? _connection;
    private IChannel? _publishChannel;

    public RabbitMqBroker(ComponentSpec component, string consumerId, ILogger logger)
    {
        ComponentName = component.Name;
        ConsumerId = consumerId;
        _logger = logger;
        Durable = component.GetBool("durable", true);
        DeletedWhenUnused = component.GetBool("deletedWhenUnused", true);
        RequeueInFailure = component.GetBool("requeueInFailure", false);
        PublisherConfirm = component.GetBool("publisherConfirm", false);
        EnableDeadLetter = component.GetBool("enableDeadLetter", false);
        var deliveryMode = component.GetInt("deliveryMode", 0);
        Persistent = deliveryMode switch
        {
            0 or 1 => false,
            2 => true,
            _ => throw component.Invalid("deliveryMode", $"'{deliveryMode}' must be 0, 1 (transient) or 2 (persistent)"),
        };
        var prefetch = component.GetInt("prefetchCount", 0);
        PrefetchCount = prefetch is >= 0 and <= ushort.MaxValue
            ? (ushort)prefetch
            : throw component.Invalid("prefetchCount", $"'{prefetch}' must be between 0 and {ushort.MaxValue}");
        ExchangeKind = component.GetString("exchangeKind") ?? ExchangeType.Fanout;
        if (ExchangeKind is not (ExchangeType.Fanout or ExchangeType.Topic or ExchangeType.Direct or ExchangeType.Headers))
            throw component.Invalid("exchangeKind", $"'{ExchangeKind}' must be fanout, topic, direct or headers");
        SingleConcurrency = (component.GetString("concurrencyMode") ?? "parallel") switch
        {
            "parallel" => false,
            "single" => true,
            var other => throw component.Invalid("concurrencyMode", $"'{other}' must be parallel or single"),
        };
        DefaultTtlSeconds = component.GetInt("ttlInSeconds", 0);
        MaxLen = component.GetInt("maxLen", 0);
        MaxLenBytes = component.GetInt("maxLenBytes", 0);
        _factory = new ConnectionFactory
        {
            Uri = ConnectionUri(component),
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = component.GetDuration("reconnectWaitSeconds", TimeSpan.FromSeconds(3)),
            RequestedHeartbeat = component.GetDuration("heartBeat", TimeSpan.FromSeconds(10)),
            ClientProvidedName = component.GetString("clientName") ?? consumerId,
        };
    }

    public string ComponentName { get; }
    public string ConsumerId { get; }
    public bool Durable { get; }
    public bool DeletedWhenUnused { get; }
    public bool RequeueInFailure { get; }
    public bool PublisherConfirm { get; }
    public bool EnableDeadLetter { get; }
    public bool Persistent { get; }
    public ushort PrefetchCount { get; }
    public string ExchangeKind { get; }
    public bool SingleConcurrency { get; }
    public int DefaultTtlSeconds { get; }
    public int MaxLen { get; }
    public int MaxLenBytes { get; }

    public bool HasNativeTtl => true;

    /// <summary>The queue a subscription consumes: <c>queueName</c> metadata, else <c>{consumerID}-{topic}</c>.</summary>
    public string QueueName(BrokerSubscription subscription) =>
        subscription.Metadata.TryGetValue("queueName", out var name) && name.Length > 0 ? name : $"{ConsumerId}-{subscription.Topic}";

    public async Task PublishAsync(string topic, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties { DeliveryMode = Persistent ? DeliveryModes.Persistent : DeliveryModes.Transient };
        var ttl = metadata.TryGetValue("ttlInSeconds", out var raw) && int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : DefaultTtlSeconds;
        if (ttl > 0) properties.Expiration = (ttl * 1000L).ToString(CultureInfo.InvariantCulture);
        if (metadata.TryGetValue("priority", out var priority) && byte.TryParse(priority, CultureInfo.InvariantCulture, out var level))
            properties.Priority = level;
        var routingKey = metadata.GetValueOrDefault("routingKey") ?? "";

        var channel = await PublishChannelAsync(topic, cancellationToken);
        try
        {
            // With confirms on, this completes only when RabbitMQ confirmed the message (and throws on a nack). The channel
            // takes publishes side by side (the client numbers and tracks their confirms itself), as daprd's does: a
            // persistent message is confirmed once RabbitMQ has written it to disk, and concurrent publishes share those
            // writes instead of each waiting for the one before.
            await channel.BasicPublishAsync(topic, routingKey, mandatory: false, properties, data, cancellationToken);
        }
        catch
        {
            // Declared again by the next publish: the failure may be that the exchange is gone (deleted when unused).
            _declaredExchanges.TryRemove(topic, out _);
            throw;
        }
    }

    /// <summary>The publishing channel, opened again if it closed, with <paramref name="topic"/>'s exchange declared on it.</summary>
    private async Task<IChannel> PublishChannelAsync(string topic, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_publishChannel is not { IsOpen: true })
            {
                var connection = await ConnectAsync(cancellationToken);
                _publishChannel = await connection.CreateChannelAsync(
                    new CreateChannelOptions(PublisherConfirm, PublisherConfirm), cancellationToken);
                _declaredExchanges.Clear();
            }
            if (!_declaredExchanges.ContainsKey(topic))
            {
                await _publishChannel.ExchangeDeclareAsync(topic, ExchangeKind, Durable, DeletedWhenUnused, cancellationToken: cancellationToken);
                _declaredExchanges[topic] = 0;
            }
            return _publishChannel;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IAsyncDisposable> SubscribeAsync(BrokerSubscription subscription, MessageHandler handler, CancellationToken cancellationToken)
    {
        IConnection connection;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            connection = await ConnectAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            if (PrefetchCount > 0) await channel.BasicQosAsync(0, PrefetchCount, false, cancellationToken);
            var queue = QueueName(subscription);
            await channel.ExchangeDeclareAsync(subscription.Topic, ExchangeKind, Durable, DeletedWhenUnused, cancellationToken: cancellationToken);
            var arguments = new Dictionary<string, object?>();
            if (MaxLen > 0) arguments["x-max-length"] = (long)MaxLen;
            if (MaxLenBytes > 0) arguments["x-max-length-bytes"] = (long)MaxLenBytes;
            if (EnableDeadLetter)
            {
                var deadLetterExchange = $"dlx-{queue}";
                await channel.ExchangeDeclareAsync(deadLetterExchange, ExchangeType.Fanout, Durable, DeletedWhenUnused, cancellationToken: cancellationToken);
                await channel.QueueDeclareAsync($"dlq-{queue}", Durable, false, DeletedWhenUnused, new Dictionary<string, object?>(arguments), cancellationToken: cancellationToken);
                await channel.QueueBindAsync($"dlq-{queue}", deadLetterExchange, "", cancellationToken: cancellationToken);
                arguments["x-dead-letter-exchange"] = deadLetterExchange;
            }
            await channel.QueueDeclareAsync(queue, Durable, false, DeletedWhenUnused, arguments, cancellationToken: cancellationToken);
            var keys = subscription.Metadata.GetValueOrDefault("routingKey") is { Length: > 0 } list
                ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : [""];
            foreach (var key in keys) await channel.QueueBindAsync(queue, subscription.Topic, key, cancellationToken: cancellationToken);
            var consumer = new QueueConsumer(this, channel, subscription.Topic, queue, handler);
            await consumer.StartAsync(cancellationToken);
            _consumers[consumer] = 0;
            return consumer;
        }
        catch
        {
            await channel.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in _consumers.Keys) await consumer.DisposeAsync();
        if (_publishChannel is { } channel) await channel.DisposeAsync();
        if (_connection is { } connection) await connection.DisposeAsync();
        _gate.Dispose();
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken) =>
        _connection ??= await _factory.CreateConnectionAsync(cancellationToken);

    private static Uri ConnectionUri(ComponentSpec component)
    {
        var text = component.GetString("connectionString") ?? component.GetString("host");
        if (text is null)
        {
            var user = Uri.EscapeDataString(component.GetString("username") ?? "guest");
            var password = Uri.EscapeDataString(component.GetString("password") ?? "guest");
            text = $"{component.GetString("protocol") ?? "amqp"}://{user}:{password}@{component.GetString("hostname") ?? "localhost"}";
        }
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps"
            ? uri
            : throw component.Invalid("connectionString", "must be amqp[s]://user:password@host:port[/vhost]");
    }

    /// <summary>One queue's consumer on its own channel, so closing it returns exactly its unacknowledged messages.</summary>
    private sealed class QueueConsumer(RabbitMqBroker broker, IChannel channel, string topic, string queue, MessageHandler handler) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
        private string? _consumerTag;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += OnReceivedAsync;
            _consumerTag = await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);
        }

        private Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
        {
            // The body is only valid during this callback.
            var message = new BrokerMessage(topic, delivery.Body.ToArray(), Headers(delivery.BasicProperties))
            {
                // RabbitMQ expires messages only in the queue; counted from now, as it was most likely just published.
                ExpiresAt = long.TryParse(delivery.BasicProperties.Expiration, NumberStyles.None, CultureInfo.InvariantCulture, out var ttl)
                    ? DateTimeOffset.UtcNow.AddMilliseconds(ttl)
                    : null,
            };
            var task = HandleAsync(message, delivery.DeliveryTag);
            if (broker.SingleConcurrency) return task;
            _inFlight[task] = 0;
            _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
            return Task.CompletedTask;
        }

        private async Task HandleAsync(BrokerMessage message, ulong deliveryTag)
        {
            try
            {
                await handler(message, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return; // Stopping: left unacknowledged, so closing the channel hands it back to RabbitMQ.
            }
            catch (Exception e)
            {
                await Settle(() => channel.BasicNackAsync(deliveryTag, false, broker.RequeueInFailure).AsTask());
                if (broker.RequeueInFailure) PubSubLog.Requeued(broker._logger, broker.ComponentName, topic, e.Message);
                else PubSubLog.DiscardedByBroker(broker._logger, broker.ComponentName, topic, queue, e.Message);
                return;
            }
            await Settle(() => channel.BasicAckAsync(deliveryTag, false).AsTask());
        }

        private async Task Settle(Func<Task> settle)
        {
            try
            {
                await settle();
            }
            catch (Exception e)
            {
                // The channel closed under us: RabbitMQ requeues the message itself.
                PubSubLog.BrokerError(broker._logger, broker.ComponentName, topic, e.Message);
            }
        }

        private static Dictionary<string, string> Headers(IReadOnlyBasicProperties properties)
        {
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            if (properties.Headers is null) return headers;
            foreach (var (key, value) in properties.Headers)
            {
                var text = value switch
                {
                    byte[] bytes => Encoding.UTF8.GetString(bytes),
                    string s => s,
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    _ => null,
                };
                if (text is not null) headers[key] = text;
            }
            return headers;
        }

        public async ValueTask DisposeAsync()
        {
            if (!broker._consumers.TryRemove(this, out _)) return;
            await _stop.CancelAsync();
            await Task.WhenAll(_inFlight.Keys);
            try
            {
                if (_consumerTag is not null && channel.IsOpen) await channel.BasicCancelAsync(_consumerTag);
                await channel.CloseAsync();
            }
            catch (Exception e)
            {
                PubSubLog.BrokerError(broker._logger, broker.ComponentName, topic, e.Message);
            }
            await channel.DisposeAsync();
            _stop.Dispose();
        }
    }
}
