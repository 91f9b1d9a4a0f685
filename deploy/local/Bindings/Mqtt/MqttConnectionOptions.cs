namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>How one <see cref="MqttConnection"/> connects. Subscriptions are (re)made on every connect.</summary>
public sealed record MqttConnectionOptions
{
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required string ClientId { get; init; }
    public bool CleanSession { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>Null for plain TCP.</summary>
    public MqttTlsOptions? Tls { get; init; }

    /// <summary>
    /// Speak MQTT 5 with a Receive Maximum of <see cref="ReceiveMaximum"/> instead of MQTT 3.1.1. Over 3.1.1
    /// mosquitto keeps at most 20 unacknowledged QoS 1 messages in flight to a client and holds the rest in a
    /// per-client queue capped at 1000, dropping whatever a burst brings beyond that. <see cref="CleanSession"/>
    /// false maps to a session that never expires, as a 3.1.1 persistent session.
    /// </summary>
    public bool Mqtt5 { get; init; }

    /// <summary>
    /// The most unacknowledged QoS 1 messages the broker may send this client at once (MQTT 5 only). Messages
    /// acknowledged only after processing stay in flight meanwhile, so this is the backlog the client can hold.
    /// </summary>
    public ushort ReceiveMaximum { get; init; } = ushort.MaxValue;

    /// <summary>
    /// Leave the PUBACK of each received QoS 1 message to <see cref="MqttMessage.AcknowledgeAsync"/> instead of
    /// sending it on receipt, so a message that could not be processed stays with the broker.
    /// </summary>
    public bool AcknowledgeManually { get; init; }

    /// <summary>paho's (and so daprd's) default keep-alive.</summary>
    public int KeepAliveSeconds { get; init; } = 30;

    public uint ReconnectDelaySeconds { get; init; } = 1;
    public uint ReconnectDelayMaxSeconds { get; init; } = 10;

    /// <summary>Topic filters subscribed with QoS <see cref="SubscriptionQos"/> after every (re)connect.</summary>
    public IReadOnlyList<string> Subscriptions { get; init; } = [];
    public int SubscriptionQos { get; init; } = 1;
}
