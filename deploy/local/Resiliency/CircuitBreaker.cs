namespace DaprIoT.LocalRuntime.Resiliency;

/// <summary>
/// A <c>spec.policies.circuitBreakers</c> entry: trip when <see cref="Trip"/> holds over the counts, stay open for
/// <see cref="Timeout"/>, then let <see cref="MaxRequests"/> probe calls through (half-open). In the closed state the
/// counts are cleared every <see cref="Interval"/> (never when zero). daprd's defaults: maxRequests 1, interval 0,
/// timeout 60 s.
/// </summary>
public sealed record CircuitBreakerPolicy(string Name, int MaxRequests, TimeSpan Interval, TimeSpan Timeout, TripCondition Trip);

public enum CircuitState { Closed, Open, HalfOpen }

/// <summary>The call was not made: the target's circuit breaker is open, or half-open with its probes taken.</summary>
public sealed class CircuitBreakerOpenException(string policy, CircuitState state)
    : Exception(state == CircuitState.Open ? $"circuit breaker is open (policy {policy})" : $"too many requests (circuit breaker {policy} is half-open)")
{
    public CircuitState State { get; } = state;
}

/// <summary>
/// One target's breaker, with the state machine daprd uses (sony/gobreaker): closed → open when the trip condition
/// holds after a failure; open → half-open once the timeout has passed; half-open → closed after MaxRequests
/// consecutive successes, back to open on any failure.
/// </summary>
public sealed class CircuitBreaker(CircuitBreakerPolicy policy, TimeProvider clock)
{
    private readonly Lock _lock = new();
    private CircuitState _state = CircuitState.Closed;
    private BreakerCounts _counts;
    private DateTimeOffset _expiry = DateTimeOffset.MaxValue;

    public CircuitBreakerPolicy Policy => policy;

    public CircuitState State
    {
        get
        {
            lock (_lock) return Current(clock.GetUtcNow());
        }
    }

    /// <summary>Admits one call, or throws <see cref="CircuitBreakerOpenException"/>. Report the call's end with <see cref="Record"/>.</summary>
    public void Enter()
    {
        lock (_lock)
        {
            var state = Current(clock.GetUtcNow());
            if (state == CircuitState.Open || (state == CircuitState.HalfOpen && _counts.Requests >= policy.MaxRequests))
                throw new CircuitBreakerOpenException(policy.Name, state);
            _counts.Requests++;
        }
    }

    public void Record(bool success)
    {
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            var state = Current(now);
            if (success)
            {
                _counts.TotalSuccesses++;
                _counts.ConsecutiveSuccesses++;
                _counts.ConsecutiveFailures = 0;
                if (state == CircuitState.HalfOpen && _counts.ConsecutiveSuccesses >= policy.MaxRequests) Move(CircuitState.Closed, now);
                return;
            }
            _counts.TotalFailures++;
            _counts.ConsecutiveFailures++;
            _counts.ConsecutiveSuccesses = 0;
            if (state == CircuitState.HalfOpen || (state == CircuitState.Closed && policy.Trip.Holds(_counts))) Move(CircuitState.Open, now);
        }
    }

    private CircuitState Current(DateTimeOffset now)
    {
        if (_state == CircuitState.Open && now >= _expiry) Move(CircuitState.HalfOpen, now);
        else if (_state == CircuitState.Closed && now >= _expiry) Move(CircuitState.Closed, now);
        return _state;
    }

    private void Move(CircuitState state, DateTimeOffset now)
    {
        _state = state;
        _counts = default;
        _expiry = state switch
        {
            CircuitState.Open => now + policy.Timeout,
            CircuitState.Closed when policy.Interval > TimeSpan.Zero => now + policy.Interval,
            _ => DateTimeOffset.MaxValue,
        };
    }
}

/// <summary>What a trip condition sees: gobreaker's <c>Counts</c>, under the names daprd's CEL expressions use.</summary>
public struct BreakerCounts
{
    public int Requests;
    public int TotalSuccesses;
    public int TotalFailures;
    public int ConsecutiveSuccesses;
    public int ConsecutiveFailures;
}
