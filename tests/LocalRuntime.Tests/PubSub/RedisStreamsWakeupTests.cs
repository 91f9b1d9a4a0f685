using System.Collections.Concurrent;
using DaprIoT.LocalRuntime.PubSub.Brokers;
using DaprIoT.LocalRuntime.Tests.Actors;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>
/// How a Redis stream consumer, which cannot block in XREADGROUP on a shared multiplexer, learns of new entries:
/// a publish from this process wakes it at once; an entry another process adds is found by its next poll. The
/// consumer's clock never moves unless the test moves it, so its polls happen only when the test says.
/// </summary>
public sealed class RedisStreamsWakeupTests : PubSubTest
{
    private readonly ManualClock _clock = new();
    private readonly ConcurrentQueue<BrokerMessage> _received = new();

    private string NewTopic()
    {
        var topic = $"topic-{Guid.NewGuid():N}";
        Topics.Add(topic);
        return topic;
    }

    /// <summary>Subscribes with the test's clock and waits until the consumer has found the stream empty and idles.</summary>
    private async Task SubscribeAsync(string topic)
    {
        // redeliverInterval 0: no reclaim loop, so the only timer on the clock is the idle consumer's next poll.
        var broker = new RedisStreamsBroker(Brokers.Component(BrokerKind.Redis, extra: ("redeliverInterval", "0")), AppId,
            NullLogger.Instance, _clock);
        Owned.Add(broker);
        Owned.Add(await broker.SubscribeAsync(new BrokerSubscription(topic, new Dictionary<string, string>()), (message, _) =>
        {
            _received.Enqueue(message);
            return Task.CompletedTask;
        }, Ct));
        await Poll.UntilAsync(() => _clock.PendingTimers == 1, Ct);
    }

    [Fact]
    public async Task A_publish_from_this_process_wakes_an_idle_subscriber_without_waiting_for_a_poll()
    {
        var topic = NewTopic();
        await SubscribeAsync(topic);
        // Another broker instance, as another sidecar of the same run would have.
        var publisher = new RedisStreamsBroker(Brokers.Component(BrokerKind.Redis), "publisher", NullLogger.Instance);
        Owned.Add(publisher);

        await publisher.PublishAsync(topic, "hello"u8.ToArray(), new Dictionary<string, string> { ["note"] = "x" }, Ct);

        await Poll.UntilAsync(() => _received.Count == 1, Ct);
        Assert.Equal("hello"u8.ToArray(), _received.Single().Data);
        Assert.Equal("x", _received.Single().Metadata["note"]);
    }

    [Fact]
    public async Task An_entry_another_process_adds_is_delivered_at_the_next_poll()
    {
        var topic = NewTopic();
        await SubscribeAsync(topic);

        await using (var redis = await TestRedis.ConnectAsync())
            await redis.GetDatabase().StreamAddAsync(topic, [new("data", "from elsewhere"), new("metadata", "{}")]);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        Assert.Empty(_received); // nothing in this process published, and the poll is not due yet

        _clock.Advance(RedisStreamsBroker.MaxPollDelay);

        await Poll.UntilAsync(() => _received.Count == 1, Ct);
        Assert.Equal("from elsewhere"u8.ToArray(), _received.Single().Data);
    }
}
