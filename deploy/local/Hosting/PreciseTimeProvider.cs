using System.Diagnostics;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// The system clock, with timers that fire within about a millisecond of when they are due. .NET's own timers keep
/// time in <see cref="Environment.TickCount64"/>, which Linux serves from its coarse clock: it moves in steps of the
/// kernel's tick (4 ms at 250 Hz), so a <c>Task.Delay</c> of 2 ms takes about 4.3 ms there. daprd's Go timers have no
/// such steps, and the runtime's short waits are meant to be short: a bulk subscription's
/// <c>maxAwaitDurationMs</c> (2 ms for device-management's broadcast) is spent on every quiet event's way to the
/// browser. Here one thread keeps every timer in order of due time, measured with <see cref="Stopwatch"/>, sleeps
/// until the first is due in a monitor wait (which the kernel ends on time), and hands each due callback to the
/// thread pool, as the system timers do.
/// </summary>
public sealed class PreciseTimeProvider : TimeProvider
{
    public static PreciseTimeProvider Instance { get; } = new();

    /// <summary>Entries left behind by a Change or Dispose before the queue is rebuilt without them (see <see cref="Enqueue"/>).</summary>
    private const int StaleEntriesKept = 1024;

    // A monitor, not a Lock: the timer thread sleeps in Monitor.Wait on it. Guards everything below and every timer's state.
    private readonly object _gate = new();
    private readonly PriorityQueue<(Timer Timer, long Generation), long> _due = new();
    private int _stale;
    private Thread? _thread;

    private PreciseTimeProvider()
    {
    }

    /// <summary>Timers waiting to fire, and entries of changed or disposed ones not yet dropped.</summary>
    internal int QueuedEntries
    {
        get
        {
            lock (_gate) return _due.Count;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new Timer(this, callback, state, ExecutionContext.Capture());
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>
    /// Puts a timer's current generation in the queue at <paramref name="dueAt"/>; called under the lock. An entry of an
    /// earlier generation is skipped when it comes up, but until then it holds its timer, and with it the timer's
    /// callback and state: a timeout's cancellation source, say, that is disposed long before it would fire. So once such
    /// entries are the majority, the queue is rebuilt without them, which keeps it within twice the live timers.
    /// </summary>
    private void Enqueue(Timer timer, long generation, long dueAt)
    {
        if (_stale > StaleEntriesKept && _stale * 2 > _due.Count)
        {
            var live = _due.UnorderedItems.Where(item => item.Element.Timer.IsCurrent(item.Element.Generation)).ToList();
            _due.Clear();
            _due.EnqueueRange(live);
            _stale = 0;
        }
        var first = !_due.TryPeek(out _, out var head) || dueAt < head;
        _due.Enqueue((timer, generation), dueAt);
        if (_thread is null)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "dapr-local timers" };
            _thread.Start();
        }
        else if (first)
        {
            Monitor.Pulse(_gate); // the thread sleeps until a later time than this timer's
        }
    }

    private void Run()
    {
        lock (_gate)
        {
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                while (_due.TryPeek(out var entry, out var dueAt) && dueAt <= now)
                {
                    _due.Dequeue();
                    if (!entry.Timer.IsCurrent(entry.Generation)) _stale--;
                    else if (entry.Timer.Fire(dueAt) is { } next) _due.Enqueue(entry, next);
                }
                if (!_due.TryPeek(out _, out var firstDue))
                {
                    Monitor.Wait(_gate);
                    continue;
                }
                var milliseconds = Math.Ceiling(Stopwatch.GetElapsedTime(now, firstDue).TotalMilliseconds);
                Monitor.Wait(_gate, (int)Math.Clamp(milliseconds, 1, int.MaxValue));
            }
        }
    }

    private sealed class Timer(PreciseTimeProvider owner, TimerCallback callback, object? state, ExecutionContext? context) : ITimer
    {
        private const long MaxMilliseconds = uint.MaxValue - 1;

        private static readonly ContextCallback RunCallback = timer => ((Timer)timer!).Invoke();

        // Guarded by the owner's lock. Every Change or Dispose starts a new generation, so the queue's entry of the
        // earlier one, if it has one (_queued), becomes stale.
        private long _generation;
        private bool _queued;
        private long _periodTicks;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var dueMs = Milliseconds(dueTime, nameof(dueTime));
            var periodMs = Milliseconds(period, nameof(period));
            lock (owner._gate)
            {
                if (_disposed) return false;
                Retire();
                _periodTicks = periodMs is -1 or 0 ? 0 : ToTicks(period);
                if (dueMs != -1)
                {
                    _queued = true;
                    owner.Enqueue(this, _generation, Stopwatch.GetTimestamp() + ToTicks(dueTime));
                }
            }
            return true;
        }

        public bool IsCurrent(long generation) => !_disposed && generation == _generation;

        /// <summary>
        /// Called by the timer thread, under the owner's lock, when the current entry is due: runs the callback on the
        /// thread pool, and returns when the next one is due for a periodic timer.
        /// </summary>
        public long? Fire(long dueAt)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static timer => timer.Run(), this, preferLocal: false);
            if (_periodTicks > 0) return Math.Max(dueAt + _periodTicks, Stopwatch.GetTimestamp());
            _queued = false;
            return null;
        }

        private void Run()
        {
            if (context is null) Invoke();
            else ExecutionContext.Run(context, RunCallback, this);
        }

        private void Invoke() => callback(state);

        /// <summary>Makes the queued entry, if any, stale; called under the owner's lock.</summary>
        private void Retire()
        {
            _generation++;
            if (!_queued) return;
            _queued = false;
            owner._stale++;
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                if (_disposed) return;
                Retire();
                _disposed = true;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

        /// <summary>
        /// A due time or period in whole milliseconds, within what <see cref="System.Threading.Timer"/> accepts: -1
        /// (infinite) to 2^32 - 2. A caller that waits longer covers it in steps (see <c>DeadlineTimer</c>), and a
        /// span of centuries (<see cref="TimeSpan.MaxValue"/>) would overflow the Stopwatch arithmetic into a timer that
        /// fires at once.
        /// </summary>
        private static long Milliseconds(TimeSpan span, string name)
        {
            var milliseconds = (long)span.TotalMilliseconds;
            ArgumentOutOfRangeException.ThrowIfLessThan(milliseconds, -1, name);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(milliseconds, MaxMilliseconds, name);
            return milliseconds;
        }
    }
}
