using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>Creates the broker a <c>pubsub.*</c> component describes, for one sidecar.</summary>
public static class PubSubBrokerFactory
{
    public static readonly IReadOnlyList<string> SupportedTypes = ["pubsub.redis", "pubsub.rabbitmq", "pubsub.in-memory"];

    public static IPubSubBroker Create(ComponentSpec component, SidecarContext sidecar, ILogger logger) =>
        component.Type switch
        {
            "pubsub.redis" => new RedisStreamsBroker(component, ConsumerId.Resolve(component, sidecar), logger, sidecar.Clock),
            "pubsub.rabbitmq" => new RabbitMqBroker(component, ConsumerId.Resolve(component, sidecar), logger),
            "pubsub.in-memory" => new InMemoryBroker(component.Name, logger),
            _ => throw new ConfigurationException(component.SourceFile, $"component '{component.Name}' spec.type",
                $"'{component.Type}' is not a pub/sub the local runtime provides ({string.Join(", ", SupportedTypes)})"),
        };
}
