namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>What happened to the events one input binding read: every event ends delivered, rejected or abandoned.</summary>
public sealed class InputBindingCounters
{
    private long _delivered;
    private long _rejected;
    private long _retries;
    private long _abandoned;

    /// <summary>Events the app accepted (2xx), possibly after retries.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Events the app still refused (or could not be reached for) after the component's last retry.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Retry attempts made after a failed delivery.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Events dropped because the binding was stopped while they were still being delivered.</summary>
    public long Abandoned => Interlocked.Read(ref _abandoned);

    internal void CountDelivered() => Interlocked.Increment(ref _delivered);
    internal void CountRejected() => Interlocked.Increment(ref _rejected);
    internal void CountRetry() => Interlocked.Increment(ref _retries);
    internal void CountAbandoned() => Interlocked.Increment(ref _abandoned);
}
