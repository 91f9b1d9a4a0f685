using System.Text;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>
/// Pub/sub component YAML on the shared brokers, tuned for tests: Redis reclaims a failed entry after 1 s pending
/// (checked every 250 ms) instead of 15 s. RabbitMQ requeues failures (<c>requeueInFailure</c>) so that they are
/// redelivered at all, and keeps queues while no sidecar consumes them (<c>deletedWhenUnused: false</c>), as the
/// platform's components/rabbitmq/pubsub.yaml does (see SubscriptionAcrossAppRestartConformanceTests for the
/// component's default). Use <see cref="BrokerCleanup"/> afterwards.
/// </summary>
public static class PubSubComponentYaml
{
    public static string For(PubSubBus bus, string name = "pubsub", string? consumerId = null)
    {
        var metadata = bus switch
        {
            PubSubBus.Redis => new List<(string, string)> { ("redisHost", "127.0.0.1:6379"), ("processingTimeout", "1s"), ("redeliverInterval", "250ms") },
            PubSubBus.RabbitMq => [("connectionString", "amqp://guest:guest@127.0.0.1:5672"), ("requeueInFailure", "true"), ("deletedWhenUnused", "false")],
            _ => throw new ArgumentOutOfRangeException(nameof(bus), bus, null),
        };
        if (consumerId is not null) metadata.Add(("consumerID", consumerId));
        var yaml = new StringBuilder($"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: {name}
            spec:
              type: {(bus == PubSubBus.Redis ? "pubsub.redis" : "pubsub.rabbitmq")}
              version: v1
              metadata:

            """);
        foreach (var (key, value) in metadata) yaml.Append($"    - name: {key}\n      value: \"{value}\"\n");
        return yaml.ToString();
    }
}
