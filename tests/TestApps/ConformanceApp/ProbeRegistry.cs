using System.Collections.Concurrent;

namespace DaprIoT.ConformanceApp;

/// <summary>Process-wide observations of the Probe actors: activations, calls in flight and call order per id.</summary>
public sealed class ProbeRegistry
{
    private readonly ConcurrentDictionary<string, int> _activations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _callOrder = new(StringComparer.Ordinal);

    public int Activated(string actorId) => _activations.AddOrUpdate(actorId, 1, (_, count) => count + 1);

    public int Activations(string actorId) => _activations.GetValueOrDefault(actorId);

    public IReadOnlyDictionary<string, int> AllActivations => new Dictionary<string, int>(_activations);

    /// <summary>Returns the number of calls that were already inside this actor (0 when turn-based concurrency holds).</summary>
    public int Enter(string actorId, string label)
    {
        _callOrder.GetOrAdd(actorId, _ => new ConcurrentQueue<string>()).Enqueue(label);
        return _inFlight.AddOrUpdate(actorId, 1, (_, count) => count + 1) - 1;
    }

    public void Leave(string actorId) => _inFlight.AddOrUpdate(actorId, 0, (_, count) => count - 1);

    public IReadOnlyList<string> CallOrder(string actorId) => _callOrder.TryGetValue(actorId, out var order) ? [.. order] : [];
}
