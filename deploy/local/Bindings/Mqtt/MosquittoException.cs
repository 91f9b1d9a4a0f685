namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>A libmosquitto call or broker answer that failed; the message is libmosquitto's own description.</summary>
public sealed class MosquittoException(string message) : Exception(message);
