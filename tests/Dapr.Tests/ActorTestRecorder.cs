using System.Collections.Concurrent;

namespace DaprIoT.Dapr.Tests;

/// <summary>What the test actors observed; one per test host (a DI singleton).</summary>
public sealed class ActorTestRecorder
{
    private int _inFlight;

    public ConcurrentQueue<string> Events { get; } = new();

    public int MaxConcurrency { get; private set; }

    public void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        lock (this)
        {
            MaxConcurrency = Math.Max(MaxConcurrency, now);
        }
    }

    public void Leave() => Interlocked.Decrement(ref _inFlight);
}
