namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>
/// A clock that moves only when the test says so. Timers created from it fire, in due order, inside
/// <see cref="Advance"/>; what their callbacks start (HTTP calls to the test app) then runs for real.
/// </summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = start;

    public ManualClock() : this(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>How many timers are waiting to fire: shows that code under test has started waiting on this clock.</summary>
    public int PendingTimers
    {
        get
        {
            lock (_gate) return _timers.Count(t => t.DueAt is not null);
        }
    }

    /// <summary>Moves time forward, firing every timer that falls due on the way at its due time.</summary>
    public void Advance(TimeSpan by)
    {
        DateTimeOffset end;
        lock (_gate) end = _now + by;
        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.DueAt is { } due && due <= end).MinBy(t => t.DueAt);
                if (next is null)
                {
                    _now = end;
                    return;
                }
                _now = next.DueAt!.Value;
                next.DueAt = next.Period is { } period ? _now + period : null;
            }
            next.Fire();
        }
    }

    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public DateTimeOffset? DueAt { get; set; }
        public TimeSpan? Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            // As System.Threading.Timer does: it cannot wait longer than 2^32 - 2 ms (about 49.7 days).
            if (dueTime > MaxWait || period > MaxWait) throw new ArgumentOutOfRangeException(nameof(dueTime));
            lock (clock._gate)
            {
                if (_disposed) return false;
                if (!clock._timers.Contains(this)) clock._timers.Add(this);
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : clock._now + dueTime;
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            }
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._gate)
            {
                _disposed = true;
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
