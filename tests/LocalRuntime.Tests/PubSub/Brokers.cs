using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.PubSub;
using RabbitMQ.Client;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

public enum BrokerKind { Redis, RabbitMq, InMemory }

/// <summary>Pub/sub components on the real brokers on loopback, and cleanup of what a test created on them.</summary>
public static class Brokers
{
    public static TheoryData<BrokerKind> All => [BrokerKind.Redis, BrokerKind.RabbitMq, BrokerKind.InMemory];

    /// <summary>The brokers that keep a failed message for redelivery (in-memory never redelivers).</summary>
    public static TheoryData<BrokerKind> Durable => [BrokerKind.Redis, BrokerKind.RabbitMq];

    /// <summary>
    /// A component named <paramref name="name"/>. Redis redelivers after 500 ms pending (checked every 200 ms) so
    /// tests stay fast; RabbitMQ requeues failures (<c>requeueInFailure</c>) so they are redelivered at all.
    /// </summary>
    public static ComponentSpec Component(BrokerKind kind, string name = "pubsub", params (string Key, string Value)[] extra)
    {
        var metadata = kind switch
        {
            BrokerKind.Redis => new Dictionary<string, string>
            {
                ["redisHost"] = "127.0.0.1:6379", ["processingTimeout"] = "500ms", ["redeliverInterval"] = "200ms",
            },
            BrokerKind.RabbitMq => new Dictionary<string, string>
            {
                ["connectionString"] = "amqp://guest:guest@127.0.0.1:5672", ["requeueInFailure"] = "true",
            },
            _ => new Dictionary<string, string>(),
        };
        foreach (var (key, value) in extra) metadata[key] = value;
        var type = kind switch { BrokerKind.Redis => "pubsub.redis", BrokerKind.RabbitMq => "pubsub.rabbitmq", _ => "pubsub.in-memory" };
        return new ComponentSpec(name, type, "v1", metadata, [], false, $"{name}.yaml");
    }

    public static SubscriptionSpec Subscription(string topic, string path = "/events", string pubsub = "pubsub",
        string? deadLetterTopic = null, IReadOnlyList<SubscriptionRule>? rules = null, Dictionary<string, string>? metadata = null,
        IReadOnlyList<string>? scopes = null) =>
        new(SubscriptionKind.Declarative, pubsub, topic, path, rules ?? [], deadLetterTopic,
            metadata ?? new Dictionary<string, string>(), scopes ?? [], "subscription.yaml");

    /// <summary>Deletes the Redis streams and the RabbitMQ exchanges and queues named after the given topics.</summary>
    public static async Task CleanUpAsync(IEnumerable<string> topics, IEnumerable<string> queues)
    {
        await using (var redis = await TestRedis.ConnectAsync())
        {
            foreach (var topic in topics) await redis.GetDatabase().KeyDeleteAsync(topic);
        }
        var factory = new ConnectionFactory { Uri = new Uri("amqp://guest:guest@127.0.0.1:5672") };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues) await channel.QueueDeleteAsync(queue);
        foreach (var topic in topics) await channel.ExchangeDeleteAsync(topic);
    }
}
