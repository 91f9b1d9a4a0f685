using RabbitMQ.Client;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>Deletes what a run left on the shared brokers: Redis streams (with their consumer groups), RabbitMQ queues and exchanges.</summary>
public static class BrokerCleanup
{
    /// <param name="queues">RabbitMQ queue names (<c>{consumerID}-{topic}</c>); ignored for Redis.</param>
    public static async Task DeleteAsync(PubSubBus bus, IReadOnlyList<string> topics, IEnumerable<string> queues)
    {
        if (bus == PubSubBus.Redis)
        {
            await RedisCli.RunAsync(CancellationToken.None, ["DEL", .. topics]);
            return;
        }

        var factory = new ConnectionFactory { Uri = new Uri("amqp://guest:guest@127.0.0.1:5672") };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in queues) await channel.QueueDeleteAsync(queue);
        foreach (var topic in topics) await channel.ExchangeDeleteAsync(topic);
    }
}
