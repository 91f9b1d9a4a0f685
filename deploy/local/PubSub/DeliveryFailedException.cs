namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>A delivery failed with no retries and no dead-letter topic left: the broker's redelivery rules apply.</summary>
public sealed class DeliveryFailedException(string message) : Exception(message);
