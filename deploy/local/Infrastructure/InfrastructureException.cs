namespace DaprIoT.LocalRuntime.Infrastructure;

/// <summary>A broker or store a component needs could not be started; the message says what to install or do.</summary>
public sealed class InfrastructureException(string message) : Exception(message);
