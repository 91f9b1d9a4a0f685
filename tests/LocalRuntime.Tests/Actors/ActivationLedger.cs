using System.Collections.Concurrent;

namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>
/// What every replica of the test app saw, together: where each actor id is active (first call until
/// DELETE) and how many calls each id has in flight. Any overlap is recorded as a violation.
/// </summary>
internal sealed class ActivationLedger
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _activeAt = [];
    private readonly Dictionary<string, int> _inFlight = [];

    public ConcurrentQueue<string> Violations { get; } = new();

    public void Enter(string key, string replica)
    {
        lock (_gate)
        {
            if (_activeAt.TryGetValue(key, out var at) && at != replica)
                Violations.Enqueue($"{key} called on {replica} while active on {at}");
            _activeAt[key] = replica;
            var inFlight = _inFlight.GetValueOrDefault(key) + 1;
            _inFlight[key] = inFlight;
            if (inFlight > 1) Violations.Enqueue($"{key} had {inFlight} calls in flight on {replica}");
        }
    }

    public void Exit(string key)
    {
        lock (_gate) _inFlight[key]--;
    }

    public void Deactivate(string key, string replica)
    {
        lock (_gate)
        {
            if (_inFlight.GetValueOrDefault(key) > 0) Violations.Enqueue($"{key} deactivated on {replica} during a call");
            if (_activeAt.TryGetValue(key, out var at) && at == replica) _activeAt.Remove(key);
        }
    }
}
