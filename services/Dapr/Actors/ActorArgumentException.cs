namespace DaprIoT.Dapr.Actors;

/// <summary>An actor call whose body does not fit the method's parameter.</summary>
internal sealed class ActorArgumentException(string message, Exception? innerException = null) : Exception(message, innerException);
