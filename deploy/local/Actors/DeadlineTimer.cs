namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// Calls back once the clock reaches an instant, however far ahead. A <see cref="TimeProvider"/> timer waits at
/// most <see cref="MaxWait"/> (System.Threading.Timer's limit, about 49.7 days), while daprd schedules reminders
/// and timers months or years ahead; so a longer wait is covered in steps, each re-reading the clock.
/// </summary>
internal sealed class DeadlineTimer : IDisposable
{
    /// <summary>The longest wait System.Threading.Timer accepts: 2^32 - 2 milliseconds.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly TimeProvider _clock;
    private readonly Action _callback;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private DateTimeOffset _due;
    private bool _disposed;

    public DeadlineTimer(TimeProvider clock, DateTimeOffset due, Action callback)
    {
        _clock = clock;
        _callback = callback;
        _due = due;
        _timer = clock.CreateTimer(_ => OnTick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Change(due);
    }

    /// <summary>Re-arms for another instant (a past one fires at once).</summary>
    public void Change(DateTimeOffset due)
    {
        lock (_gate)
        {
            if (_disposed) return;
            _due = due;
            _timer.Change(NextWait(), Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    private TimeSpan NextWait()
    {
        var wait = _due - _clock.GetUtcNow();
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < MaxWait ? wait : MaxWait;
    }

    private void OnTick()
    {
        lock (_gate)
        {
            if (_disposed) return;
            // An intermediate step of a long wait: keep waiting for the rest.
            if (_clock.GetUtcNow() < _due)
            {
                _timer.Change(NextWait(), Timeout.InfiniteTimeSpan);
                return;
            }
        }
        _callback();
    }
}
