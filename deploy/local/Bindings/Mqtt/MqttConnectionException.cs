namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>A connection, publish or certificate problem of an <see cref="MqttConnection"/>, described for the log and the app.</summary>
public sealed class MqttConnectionException(string message, Exception? inner = null) : Exception(message, inner);
