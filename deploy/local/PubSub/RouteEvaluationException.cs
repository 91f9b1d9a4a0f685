namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>A routing rule could not be evaluated for an event (CEL runtime error, e.g. a missing key).</summary>
public sealed class RouteEvaluationException(string message) : Exception(message);
