namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>The brokers the platform's <c>pubsub</c> component can sit on (components/redis, components/rabbitmq).</summary>
public enum PubSubBus
{
    Redis,
    RabbitMq,
}
