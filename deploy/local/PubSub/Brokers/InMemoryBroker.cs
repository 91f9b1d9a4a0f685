using System.Collections.Concurrent;
using System.Threading.Channels;

namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>
/// <c>pubsub.in-memory</c>: an event bus inside one sidecar, as in daprd. Only subscribers of the same sidecar
/// receive a message; delivery per subscription is serialised; a failed message is logged and discarded
/// (no redelivery); everything is lost when the sidecar stops.
/// </summary>
public sealed class InMemoryBroker(string componentName, ILogger logger) : IPubSubBroker
{
    private readonly ConcurrentDictionary<Subscriber, string> _subscribers = new();
    private readonly ILogger _logger = logger;

    public string ComponentName { get; } = componentName;

    public bool HasNativeTtl => false;

    public Task PublishAsync(string topic, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var message = new BrokerMessage(topic, data, metadata);
        foreach (var (subscriber, subscribedTopic) in _subscribers)
            if (subscribedTopic == topic) subscriber.Queue.Writer.TryWrite(message);
        return Task.CompletedTask;
    }

    public Task<IAsyncDisposable> SubscribeAsync(BrokerSubscription subscription, MessageHandler handler, CancellationToken cancellationToken)
    {
        var subscriber = new Subscriber(this, handler);
        _subscribers[subscriber] = subscription.Topic;
        return Task.FromResult<IAsyncDisposable>(subscriber);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var subscriber in _subscribers.Keys) await subscriber.DisposeAsync();
    }

    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly InMemoryBroker _broker;
        private readonly MessageHandler _handler;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Subscriber(InMemoryBroker broker, MessageHandler handler)
        {
            _broker = broker;
            _handler = handler;
            _loop = Task.Run(LoopAsync);
        }

        public Channel<BrokerMessage> Queue { get; } = Channel.CreateUnbounded<BrokerMessage>(new() { SingleReader = true });

        private async Task LoopAsync()
        {
            try
            {
                await foreach (var message in Queue.Reader.ReadAllAsync(_stop.Token))
                {
                    try
                    {
                        await _handler(message, _stop.Token);
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception e)
                    {
                        PubSubLog.InMemoryDiscarded(_broker._logger, _broker.ComponentName, message.Topic, e.Message);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping: whatever is still queued is lost, as with daprd's in-memory bus.
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_broker._subscribers.TryRemove(this, out _)) return;
            await _stop.CancelAsync();
            Queue.Writer.TryComplete();
            await _loop;
            _stop.Dispose();
        }
    }
}
