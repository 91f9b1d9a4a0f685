namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>
/// One message received from the broker. When its connection acknowledges manually
/// (<see cref="MqttConnectionOptions.AcknowledgeManually"/>) and the message is QoS 1, the broker waits for
/// <see cref="AcknowledgeAsync"/>; a message never acknowledged is sent again when a persistent session reconnects.
/// </summary>
public sealed class MqttMessage
{
    private readonly Func<CancellationToken, Task<bool>>? _acknowledge;

    public MqttMessage(string topic, byte[] payload, int qos, bool retain, Func<CancellationToken, Task<bool>>? acknowledge)
    {
        Topic = topic;
        Payload = payload;
        Qos = qos;
        Retain = retain;
        _acknowledge = acknowledge;
    }

    public string Topic { get; }
    public byte[] Payload { get; }
    public int Qos { get; }
    public bool Retain { get; }

    /// <summary>Whether the broker is waiting for this message's acknowledgement.</summary>
    public bool AwaitsAcknowledgement => _acknowledge is not null;

    /// <summary>
    /// Sends the PUBACK. False when it could not be sent because the connection the message came on is gone: the
    /// broker then still holds the message and sends it again to a persistent session. Nothing to do (true) for a
    /// QoS 0 message or one acknowledged on receipt.
    /// </summary>
    public Task<bool> AcknowledgeAsync(CancellationToken cancellationToken) =>
        _acknowledge is null ? Task.FromResult(true) : _acknowledge(cancellationToken);
}
