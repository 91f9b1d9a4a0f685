namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>How one <see cref="MosquittoClient"/> connects. Subscriptions are (re)made on every connect.</summary>
public sealed record MosquittoClientOptions
{
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required string ClientId { get; init; }
    public bool CleanSession { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>Null for plain TCP.</summary>
    public MosquittoTlsOptions? Tls { get; init; }

    /// <summary>
    /// Speak MQTT 5 with a Receive Maximum of 65535 instead of MQTT 3.1.1. The broker then keeps every message for
    /// this client in flight on the socket instead of holding all but 20 in its per-client queue, which mosquitto
    /// caps at 1000 by default and silently overflows in a burst. <see cref="CleanSession"/> false maps to a
    /// session that never expires, as a 3.1.1 persistent session.
    /// </summary>
    public bool Mqtt5 { get; init; }

    /// <summary>paho's (and so daprd's) default keep-alive.</summary>
    public int KeepAliveSeconds { get; init; } = 30;

    public uint ReconnectDelaySeconds { get; init; } = 1;
    public uint ReconnectDelayMaxSeconds { get; init; } = 10;

    /// <summary>Topic filters subscribed with QoS <see cref="SubscriptionQos"/> after every (re)connect.</summary>
    public IReadOnlyList<string> Subscriptions { get; init; } = [];
    public int SubscriptionQos { get; init; } = 1;

    /// <summary>
    /// Received messages waiting for the reader. When full, libmosquitto's network thread waits, so TCP flow
    /// control and the broker's queue take over instead of this process growing without bound.
    /// </summary>
    public int ReceiveBufferCapacity { get; init; } = 10_000;
}
