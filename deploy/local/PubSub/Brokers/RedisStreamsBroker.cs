using System.Collections.Concurrent;
using System.Text.Json;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Redis;

namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>
/// <c>pubsub.redis</c> on Redis Streams, as components-contrib does it: stream = topic; each entry has fields
/// <c>data</c> (the bytes daprd publishes) and <c>metadata</c> (the publish metadata as JSON); one consumer group
/// per <c>consumerID</c> (which is also the consumer name), created at id 0; <c>XACK</c> on success; a failed or
/// abandoned entry stays pending and is reclaimed once it has been idle for <c>processingTimeout</c>, checked every
/// <c>redeliverInterval</c> (either 0 disables redelivery).
/// </summary>
public sealed class RedisStreamsBroker : IPubSubBroker
{
    private readonly RedisClient _commands;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<StreamConsumer, byte> _consumers = new();

    public RedisStreamsBroker(ComponentSpec component, string consumerId, ILogger logger)
    {
        ComponentName = component.Name;
        if ((component.GetString("redisType") ?? "node") != "node")
            throw component.Invalid("redisType", "only 'node' is provided by the local runtime (no Redis cluster)");
        if (component.GetBool("enableTLS", false))
            throw component.Invalid("enableTLS", "TLS to Redis is not provided by the local runtime; use a local redis-server");
        Options = RedisOptions.FromComponent(component);
        ConsumerId = consumerId;
        ProcessingTimeout = component.GetDuration("processingTimeout", TimeSpan.FromSeconds(15));
        RedeliverInterval = component.GetDuration("redeliverInterval", TimeSpan.FromSeconds(60));
        QueueDepth = Positive(component, "queueDepth", 100);
        Concurrency = Positive(component, "concurrency", 10);
        var maxLen = component.GetInt("maxLenApprox", 0);
        MaxLenApprox = maxLen > 0 ? maxLen : null;
        _commands = new RedisClient(Options);
        _logger = logger;
    }

    public string ComponentName { get; }
    public RedisOptions Options { get; }
    public string ConsumerId { get; }
    public TimeSpan ProcessingTimeout { get; }
    public TimeSpan RedeliverInterval { get; }
    public int QueueDepth { get; }
    public int Concurrency { get; }
    public int? MaxLenApprox { get; }

    public bool HasNativeTtl => false;

    public async Task PublishAsync(string topic, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        List<object> command = ["XADD", topic];
        if (MaxLenApprox is { } maxLen) command.AddRange(["MAXLEN", "~", maxLen]);
        command.AddRange(["*", "data", data, "metadata", JsonSerializer.SerializeToUtf8Bytes(metadata)]);
        await _commands.ExecuteAsync(command, cancellationToken);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(BrokerSubscription subscription, MessageHandler handler, CancellationToken cancellationToken)
    {
        await EnsureGroupAsync(subscription.Topic, cancellationToken);
        var consumer = new StreamConsumer(this, subscription.Topic, handler);
        _consumers[consumer] = 0;
        return consumer;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in _consumers.Keys) await consumer.DisposeAsync();
        await _commands.DisposeAsync();
    }

    private async Task EnsureGroupAsync(string topic, CancellationToken cancellationToken)
    {
        try
        {
            await _commands.ExecuteAsync(["XGROUP", "CREATE", topic, ConsumerId, "0", "MKSTREAM"], cancellationToken);
        }
        catch (RedisServerException e) when (e.Prefix == "BUSYGROUP")
        {
            // The group exists: another replica (or an earlier run) created it.
        }
    }

    private static int Positive(ComponentSpec component, string key, int fallback)
    {
        var value = component.GetInt(key, fallback);
        return value > 0 ? value : throw component.Invalid(key, $"'{value}' must be at least 1");
    }

    /// <summary>One topic's consumer: a blocking XREADGROUP loop on its own connection, a reclaim loop, and a
    /// pool of <c>concurrency</c> deliveries.</summary>
    private sealed class StreamConsumer : IAsyncDisposable
    {
        private const int BlockMilliseconds = 5000;
        private readonly RedisStreamsBroker _broker;
        private readonly string _topic;
        private readonly MessageHandler _handler;
        private readonly RedisClient _blocking;
        private readonly CancellationTokenSource _stop = new();
        private readonly SemaphoreSlim _workers;
        private readonly ConcurrentDictionary<string, Task> _inFlight = new();
        private readonly Task _readLoop;
        private readonly Task _reclaimLoop;

        public StreamConsumer(RedisStreamsBroker broker, string topic, MessageHandler handler)
        {
            _broker = broker;
            _topic = topic;
            _handler = handler;
            _blocking = new RedisClient(broker.Options);
            _workers = new SemaphoreSlim(broker.Concurrency);
            _readLoop = Task.Run(ReadLoopAsync);
            _reclaimLoop = broker.ProcessingTimeout > TimeSpan.Zero && broker.RedeliverInterval > TimeSpan.Zero
                ? Task.Run(ReclaimLoopAsync)
                : Task.CompletedTask;
        }

        private async Task ReadLoopAsync()
        {
            var stop = _stop.Token;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var reply = await _blocking.ExecuteAsync(
                        ["XREADGROUP", "GROUP", _broker.ConsumerId, _broker.ConsumerId, "COUNT", _broker.QueueDepth,
                         "BLOCK", BlockMilliseconds, "STREAMS", _topic, ">"], stop);
                    foreach (var stream in reply.AsArray())
                        foreach (var entry in stream.AsArray()[1].AsArray())
                            await DispatchAsync(entry, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (RedisServerException e) when (e.Prefix == "NOGROUP")
                {
                    // The stream or group was deleted under us (FLUSHALL, DEL): recreate it like a fresh start.
                    await Retry(() => _broker.EnsureGroupAsync(_topic, stop), e, stop);
                }
                catch (Exception e)
                {
                    await Retry(() => Task.CompletedTask, e, stop);
                }
            }
        }

        private async Task ReclaimLoopAsync()
        {
            var stop = _stop.Token;
            var minIdle = (long)_broker.ProcessingTimeout.TotalMilliseconds;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(_broker.RedeliverInterval, stop);
                    var cursor = "0-0";
                    do
                    {
                        var reply = (await _broker._commands.ExecuteAsync(
                            ["XAUTOCLAIM", _topic, _broker.ConsumerId, _broker.ConsumerId, minIdle, cursor, "COUNT", _broker.QueueDepth],
                            stop)).AsArray();
                        cursor = reply[0].AsString() ?? "0-0";
                        foreach (var entry in reply[1].AsArray()) await DispatchAsync(entry, stop);
                    }
                    while (cursor != "0-0");
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    PubSubLog.BrokerError(_broker._logger, _broker.ComponentName, _topic, e.Message);
                }
            }
        }

        private async Task DispatchAsync(RespValue entry, CancellationToken stop)
        {
            // Entries trimmed away by MAXLEN while pending come back without fields (Redis 6.2) and cannot be delivered.
            if (entry.IsNull || entry.AsArray() is not [var idValue, var fieldsValue] || idValue.AsString() is not { } id) return;
            if (fieldsValue.IsNull)
            {
                PubSubLog.TrimmedWhilePending(_broker._logger, _broker.ComponentName, _topic, id);
                await Ack(id, stop);
                return;
            }
            // A reclaim can return an entry this sidecar is still delivering; it must not run twice at once here.
            var started = new TaskCompletionSource();
            if (!_inFlight.TryAdd(id, started.Task)) return;
            try
            {
                await _workers.WaitAsync(stop);
            }
            catch (OperationCanceledException)
            {
                _inFlight.TryRemove(id, out _);
                started.SetResult();
                throw;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await _handler(ToMessage(fieldsValue), stop);
                    // Delivered: acknowledge even if the sidecar started stopping meanwhile.
                    await Ack(id, CancellationToken.None);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // Stopping: the entry stays pending and is reclaimed after processingTimeout.
                }
                catch (Exception e)
                {
                    PubSubLog.LeftPending(_broker._logger, _broker.ComponentName, _topic, id, e.Message);
                }
                finally
                {
                    _workers.Release();
                    _inFlight.TryRemove(id, out _);
                    started.SetResult();
                }
            }, CancellationToken.None);
        }

        private Task Ack(string id, CancellationToken stop) =>
            _broker._commands.ExecuteAsync(["XACK", _topic, _broker.ConsumerId, id], stop);

        private BrokerMessage ToMessage(RespValue fields)
        {
            var pairs = fields.AsArray();
            byte[] data = [];
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < pairs.Count; i += 2)
            {
                switch (pairs[i].AsString())
                {
                    case "data":
                        data = pairs[i + 1].Bulk ?? [];
                        break;
                    case "metadata" when pairs[i + 1].Bulk is { Length: > 0 } json:
                        try
                        {
                            metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? metadata;
                        }
                        catch (JsonException)
                        {
                            // Written by something other than a Dapr sidecar: deliver without metadata.
                        }
                        break;
                }
            }
            return new BrokerMessage(_topic, data, metadata);
        }

        private async Task Retry(Func<Task> repair, Exception cause, CancellationToken stop)
        {
            PubSubLog.BrokerError(_broker._logger, _broker.ComponentName, _topic, cause.Message);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop);
                await repair();
            }
            catch (Exception)
            {
                // Stopping, or still broken: the loop checks for the first and reports the second on its next read.
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_broker._consumers.TryRemove(this, out _)) return;
            await _stop.CancelAsync();
            await _blocking.DisposeAsync();
            await Task.WhenAll(_readLoop, _reclaimLoop);
            await Task.WhenAll(_inFlight.Values);
            _stop.Dispose();
        }
    }
}
