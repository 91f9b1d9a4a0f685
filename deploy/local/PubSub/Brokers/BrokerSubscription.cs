namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>What a broker needs to consume one topic: the topic and the subscription's metadata
/// (RabbitMQ reads <c>queueName</c> and <c>routingKey</c> from it).</summary>
public sealed record BrokerSubscription(string Topic, IReadOnlyDictionary<string, string> Metadata);
