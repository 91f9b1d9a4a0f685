using DaprIoT.LocalRuntime.PubSub.Brokers;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>
/// A Redis stream consumer acknowledges in groups (one <c>XACK</c> for every entry that succeeded while the previous
/// one was on its way): every entry its app accepted is acknowledged, one it refused stays pending.
/// </summary>
public sealed class RedisStreamsAcknowledgementTests : PubSubTest
{
    [Fact]
    public async Task Entries_delivered_many_at_once_are_all_acknowledged_and_a_refused_one_stays_pending()
    {
        const int entries = 1_000;
        const int refused = 500;
        var topic = $"topic-{Guid.NewGuid():N}";
        Topics.Add(topic);
        // redeliverInterval 0: the refused entry is not reclaimed during the test, so it must still be pending at the end.
        var broker = new RedisStreamsBroker(Brokers.Component(BrokerKind.Redis, extra: [("concurrency", "100"), ("redeliverInterval", "0")]),
            AppId, NullLogger.Instance);
        Owned.Add(broker);
        var handled = 0;
        Owned.Add(await broker.SubscribeAsync(new BrokerSubscription(topic, new Dictionary<string, string>()), async (message, _) =>
        {
            await Task.Yield();
            Interlocked.Increment(ref handled);
            if (message.Data.AsSpan().SequenceEqual("refuse"u8)) throw new InvalidOperationException("refused by the app");
        }, Ct));

        for (var i = 0; i < entries; i++)
            await broker.PublishAsync(topic, i == refused ? "refuse"u8.ToArray() : "accept"u8.ToArray(), new Dictionary<string, string>(), Ct);

        await Poll.UntilAsync(() => Volatile.Read(ref handled) == entries, Ct);
        await using var redis = await TestRedis.ConnectAsync();
        var database = redis.GetDatabase();
        await Poll.UntilAsync(async () => (await database.StreamPendingAsync(topic, AppId)).PendingMessageCount == 1, Ct);
        var pending = Assert.Single(await database.StreamPendingMessagesAsync(topic, AppId, 10, AppId));
        var entry = Assert.Single(await database.StreamRangeAsync(topic, pending.MessageId, pending.MessageId));
        Assert.Equal("refuse", (string?)entry["data"]);
    }
}
