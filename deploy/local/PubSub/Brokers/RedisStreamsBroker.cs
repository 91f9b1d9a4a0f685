using System.Collections.Concurrent;
using System.Text.Json;
using DaprIoT.LocalRuntime.Components;
using StackExchange.Redis;

namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>
/// <c>pubsub.redis</c> on Redis Streams, as components-contrib does it: stream = topic; each entry has fields
/// <c>data</c> (the bytes daprd publishes) and <c>metadata</c> (the publish metadata as JSON); one consumer group
/// per <c>consumerID</c> (which is also the consumer name), created at id 0; <c>XACK</c> on success (one command for
/// every entry that succeeded while the previous one was on its way, see <see cref="Acknowledgements"/>); a failed or
/// abandoned entry stays pending and is reclaimed once it has been idle for <c>processingTimeout</c>, checked every
/// <c>redeliverInterval</c> (either 0 disables redelivery).
/// Unlike daprd, consumers do not block in <c>XREADGROUP</c> (one StackExchange.Redis multiplexer per server,
/// <see cref="SharedRedisConnections"/>, carries every command of every sidecar): they are woken by
/// <see cref="StreamWakeups"/> when this process publishes, and poll for entries that other processes add.
/// </summary>
public sealed class RedisStreamsBroker : IPubSubBroker
{
    private readonly ConfigurationOptions _options;
    private readonly string _server;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<StreamConsumer, byte> _consumers = new();
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private SharedRedisConnections.Lease? _connection;
    private bool _disposed;

    public RedisStreamsBroker(ComponentSpec component, string consumerId, ILogger logger, TimeProvider? clock = null)
    {
        ComponentName = component.Name;
        if ((component.GetString("redisType") ?? "node") != "node")
            throw component.Invalid("redisType", "only 'node' is provided by the local runtime (no Redis cluster)");
        if (component.GetBool("enableTLS", false))
            throw component.Invalid("enableTLS", "TLS to Redis is not provided by the local runtime; use a local redis-server");
        // Not connected yet: a broker that is down fails the first publish or subscribe, not the sidecar's start,
        // and the (shared) multiplexer keeps reconnecting in the background from then on.
        _options = RedisComponentConnection.Options(component, abortOnConnectFail: false);
        _server = RedisComponentConnection.ServerKey(_options);
        ConsumerId = consumerId;
        ProcessingTimeout = component.GetDuration("processingTimeout", TimeSpan.FromSeconds(15));
        RedeliverInterval = component.GetDuration("redeliverInterval", TimeSpan.FromSeconds(60));
        QueueDepth = Positive(component, "queueDepth", 100);
        Concurrency = Positive(component, "concurrency", 10);
        var maxLen = component.GetInt("maxLenApprox", 0);
        MaxLenApprox = maxLen > 0 ? maxLen : null;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>How long a consumer with nothing to read first waits before reading again, unless woken.</summary>
    public static TimeSpan FirstPollDelay { get; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The longest wait between reads of an idle stream: the delay, at worst, before a consumer sees an entry that
    /// another process added. Each empty read doubles the wait up to this, so an idle runtime reads each of its
    /// streams a few times a second.
    /// </summary>
    public static TimeSpan MaxPollDelay { get; } = TimeSpan.FromMilliseconds(100);

    public string ComponentName { get; }
    public string ConsumerId { get; }
    public TimeSpan ProcessingTimeout { get; }
    public TimeSpan RedeliverInterval { get; }
    public int QueueDepth { get; }
    public int Concurrency { get; }
    public int? MaxLenApprox { get; }

    public bool HasNativeTtl => false;

    public async Task PublishAsync(string topic, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var redis = await DatabaseAsync(cancellationToken);
        NameValueEntry[] fields = [new("data", data), new("metadata", JsonSerializer.SerializeToUtf8Bytes(metadata))];
        var adding = redis.StreamAddAsync(topic, fields, maxLength: MaxLenApprox, useApproximateMaxLength: true);
        // The XADD is queued on the shared connection, so a consumer woken now sends its XREADGROUP behind it and
        // Redis answers that read with the new entry: one round trip, as a read blocked in daprd would take.
        StreamWakeups.Added(_server, topic);
        await adding.WaitAsync(cancellationToken);
        // Once more now that Redis has the entry, for any read that still went ahead of the XADD.
        StreamWakeups.Added(_server, topic);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(BrokerSubscription subscription, MessageHandler handler, CancellationToken cancellationToken)
    {
        var redis = await DatabaseAsync(cancellationToken);
        await EnsureGroupAsync(redis, subscription.Topic, cancellationToken);
        var consumer = new StreamConsumer(this, redis, subscription.Topic, handler);
        _consumers[consumer] = 0;
        return consumer;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in _consumers.Keys) await consumer.DisposeAsync();
        await _connectGate.WaitAsync();
        try
        {
            _disposed = true;
            if (_connection is not null) await _connection.DisposeAsync();
            _connection = null;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>The shared multiplexer, taken on first use. With <c>AbortOnConnectFail</c> off it is returned even
    /// while Redis is down; commands then fail until it has reconnected.</summary>
    private async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } connected) return connected.Redis.GetDatabase();
        await _connectGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _connection ??= await SharedRedisConnections.AcquireAsync(_options);
            return _connection.Redis.GetDatabase();
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task EnsureGroupAsync(IDatabase redis, string topic, CancellationToken cancellationToken)
    {
        try
        {
            await redis.StreamCreateConsumerGroupAsync(topic, ConsumerId, "0", createStream: true).WaitAsync(cancellationToken);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // The group exists: another replica (or an earlier run) created it.
        }
    }

    private static int Positive(ComponentSpec component, string key, int fallback)
    {
        var value = component.GetInt(key, fallback);
        return value > 0 ? value : throw component.Invalid(key, $"'{value}' must be at least 1");
    }

    /// <summary>One topic's consumer: a read loop (woken by local publishes, polling otherwise), a reclaim loop,
    /// and a pool of <c>concurrency</c> deliveries.</summary>
    private sealed class StreamConsumer : IAsyncDisposable
    {
        private readonly RedisStreamsBroker _broker;
        private readonly IDatabase _redis;
        private readonly string _topic;
        private readonly MessageHandler _handler;
        private readonly StreamWakeups.Registration _wakeups;
        private readonly CancellationTokenSource _stop = new();
        private readonly SemaphoreSlim _workers;
        private readonly ConcurrentDictionary<string, Task> _inFlight = new();
        private readonly Acknowledgements _acks;
        private readonly Task _readLoop;
        private readonly Task _reclaimLoop;

        public StreamConsumer(RedisStreamsBroker broker, IDatabase redis, string topic, MessageHandler handler)
        {
            _broker = broker;
            _redis = redis;
            _topic = topic;
            _handler = handler;
            _wakeups = StreamWakeups.Listen(broker._server, topic);
            _workers = new SemaphoreSlim(broker.Concurrency);
            _acks = new Acknowledgements(redis, topic, broker.ConsumerId);
            _readLoop = Task.Run(ReadLoopAsync);
            _reclaimLoop = broker.ProcessingTimeout > TimeSpan.Zero && broker.RedeliverInterval > TimeSpan.Zero
                ? Task.Run(ReclaimLoopAsync)
                : Task.CompletedTask;
        }

        private async Task ReadLoopAsync()
        {
            var stop = _stop.Token;
            var idleDelay = FirstPollDelay;
            while (!stop.IsCancellationRequested)
            {
                // Taken before the read, so a publish that lands after the read still wakes the wait below.
                var added = _wakeups.Next;
                try
                {
                    var entries = await _redis.StreamReadGroupAsync(_topic, _broker.ConsumerId, _broker.ConsumerId,
                        StreamPosition.NewMessages, _broker.QueueDepth).WaitAsync(stop);
                    foreach (var entry in entries) await DispatchAsync(entry, stop);
                    if (entries.Length > 0)
                    {
                        idleDelay = FirstPollDelay;
                        continue;
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
                {
                    // The stream or group was deleted under us (FLUSHALL, DEL): recreate it like a fresh start.
                    await Retry(() => _broker.EnsureGroupAsync(_redis, _topic, stop), e, stop);
                    continue;
                }
                catch (Exception e)
                {
                    await Retry(() => Task.CompletedTask, e, stop);
                    continue;
                }
                // Nothing new: sleep until this process publishes to the topic, or until it is time to look for
                // entries other processes added. SuppressThrowing: a timeout or stop just ends the wait.
                await added.WaitAsync(idleDelay, _broker._clock, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                idleDelay = added.IsCompleted ? FirstPollDelay : TimeSpan.FromTicks(Math.Min(idleDelay.Ticks * 2, MaxPollDelay.Ticks));
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
                    await Task.Delay(_broker.RedeliverInterval, _broker._clock, stop);
                    RedisValue cursor = "0-0";
                    do
                    {
                        var claimed = await _redis.StreamAutoClaimAsync(_topic, _broker.ConsumerId, _broker.ConsumerId, minIdle, cursor,
                            _broker.QueueDepth).WaitAsync(stop);
                        cursor = claimed.NextStartId;
                        // Redis 7 drops entries trimmed away (MAXLEN) while pending from the pending list and names them here.
                        foreach (var id in claimed.DeletedIds ?? [])
                            PubSubLog.TrimmedWhilePending(_broker._logger, _broker.ComponentName, _topic, id.ToString());
                        foreach (var entry in claimed.ClaimedEntries ?? []) await DispatchAsync(entry, stop);
                    }
                    while (cursor != "0-0" && !cursor.IsNullOrEmpty);
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

        private async Task DispatchAsync(StreamEntry entry, CancellationToken stop)
        {
            if (entry.IsNull || entry.Id.IsNullOrEmpty) return;
            var id = entry.Id.ToString();
            // Redis 6.2 returns an entry trimmed away by MAXLEN while pending without fields: it cannot be delivered.
            if (entry.Values is not { Length: > 0 })
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
            var message = ToMessage(entry.Values);
            _ = Task.Run(async () =>
            {
                try
                {
                    await _handler(message, stop);
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

        private Task Ack(string id, CancellationToken stop) => _acks.AcknowledgeAsync(id).WaitAsync(stop);

        private BrokerMessage ToMessage(NameValueEntry[] fields)
        {
            byte[] data = [];
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var field in fields)
            {
                switch ((string?)field.Name)
                {
                    case "data":
                        data = (byte[]?)field.Value ?? [];
                        break;
                    case "metadata" when (byte[]?)field.Value is { Length: > 0 } json:
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
                await Task.Delay(TimeSpan.FromSeconds(1), _broker._clock, stop);
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
            await Task.WhenAll(_readLoop, _reclaimLoop);
            await Task.WhenAll(_inFlight.Values);
            _wakeups.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>
    /// A consumer's <c>XACK</c>s in groups: an entry delivered while no acknowledgement is on its way is acknowledged
    /// at once; entries delivered meanwhile wait and share the next <c>XACK</c> (it takes many ids). At thousands of
    /// deliveries a second this is one Redis command per group instead of one per entry. Each caller's task completes
    /// when the command carrying its id has succeeded; an entry whose acknowledgement failed stays pending and is
    /// reclaimed like any other unacknowledged entry.
    /// </summary>
    private sealed class Acknowledgements(IDatabase redis, string topic, string group)
    {
        /// <summary>Ids in one <c>XACK</c> at most.</summary>
        private const int MaxIds = 1000;

        private readonly ConcurrentQueue<(RedisValue Id, TaskCompletionSource Done)> _waiting = new();
        private int _sending;

        public Task AcknowledgeAsync(string id)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue((id, done));
            SendWaiting();
            return done.Task;
        }

        private void SendWaiting()
        {
            // Whoever finds no acknowledgement on its way sends; the sender looks again when its command returns.
            while (!_waiting.IsEmpty && Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
            {
                var batch = new List<(RedisValue Id, TaskCompletionSource Done)>();
                while (batch.Count < MaxIds && _waiting.TryDequeue(out var waiting)) batch.Add(waiting);
                if (batch.Count == 0)
                {
                    Volatile.Write(ref _sending, 0);
                    continue;
                }

                _ = SendAsync(batch);
                return;
            }
        }

        private async Task SendAsync(List<(RedisValue Id, TaskCompletionSource Done)> batch)
        {
            try
            {
                await redis.StreamAcknowledgeAsync(topic, group, [.. batch.Select(waiting => waiting.Id)]);
                foreach (var (_, done) in batch) done.TrySetResult();
            }
            catch (Exception e)
            {
                foreach (var (_, done) in batch) done.TrySetException(e);
            }
            finally
            {
                Volatile.Write(ref _sending, 0);
                SendWaiting();
            }
        }
    }
}
