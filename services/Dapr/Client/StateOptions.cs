namespace DaprIoT.Dapr.Client;

/// <summary>The <c>options</c> object of a state write: concurrency and consistency hints.</summary>
public sealed record StateOptions(StateConcurrency? Concurrency = null, StateConsistency? Consistency = null)
{
    internal static string Wire(StateConcurrency value) => value == StateConcurrency.FirstWrite ? "first-write" : "last-write";

    internal static string Wire(StateConsistency value) => value == StateConsistency.Strong ? "strong" : "eventual";

    internal object ToWire() => new
    {
        concurrency = Concurrency is { } concurrency ? Wire(concurrency) : null,
        consistency = Consistency is { } consistency ? Wire(consistency) : null,
    };
}
