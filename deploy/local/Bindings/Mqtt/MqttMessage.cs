namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>One message received from the broker, copied out of libmosquitto's buffers.</summary>
public sealed record MqttMessage(string Topic, byte[] Payload, int Qos, bool Retain);
