using System.Collections.Concurrent;
using System.Diagnostics;
using DaprIoT.LocalRuntime.Hosting;

namespace DaprIoT.LocalRuntime.Tests.Hosting;

/// <summary>The runtime's clock keeps the contract of the system timers: when, how often, and never after a change or dispose.</summary>
public sealed class PreciseTimeProviderTests
{
    private static readonly TimeProvider Clock = PreciseTimeProvider.Instance;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_delay_ends_no_earlier_than_asked()
    {
        foreach (var ms in new[] { 0, 1, 2, 15 })
        {
            var started = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromMilliseconds(ms), Clock, Ct);
            Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(ms), $"a {ms} ms delay ended early");
        }
    }

    [Fact]
    public async Task Timers_fire_in_order_of_due_time_whatever_the_order_they_were_made_in()
    {
        var fired = new ConcurrentQueue<int>();
        var all = new CountdownEvent(3);
        using var late = Clock.CreateTimer(_ => { fired.Enqueue(3); all.Signal(); }, null, TimeSpan.FromMilliseconds(400), Timeout.InfiniteTimeSpan);
        using var early = Clock.CreateTimer(_ => { fired.Enqueue(1); all.Signal(); }, null, TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);
        using var middle = Clock.CreateTimer(_ => { fired.Enqueue(2); all.Signal(); }, null, TimeSpan.FromMilliseconds(200), Timeout.InfiniteTimeSpan);

        await Task.Run(() => all.Wait(TimeSpan.FromSeconds(10), Ct), Ct);

        Assert.Equal([1, 2, 3], fired);
    }

    [Fact]
    public async Task A_periodic_timer_keeps_firing_until_disposed_and_then_never_again()
    {
        var count = 0;
        var timer = Clock.CreateTimer(_ => Interlocked.Increment(ref count), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(10));
        await Poll.UntilAsync(() => Volatile.Read(ref count) >= 5, () => $"{count} ticks", TimeSpan.FromSeconds(10));

        await timer.DisposeAsync();
        await Task.Delay(50, Ct); // a callback already handed to the thread pool may still run
        var afterDispose = Volatile.Read(ref count);
        await Task.Delay(100, Ct);

        Assert.Equal(afterDispose, Volatile.Read(ref count));
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public async Task Change_replaces_the_schedule_and_an_infinite_due_time_stops_the_timer()
    {
        var fired = 0;
        using var moved = Clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);
        using var stopped = Clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);
        Assert.True(moved.Change(TimeSpan.FromMilliseconds(1000), Timeout.InfiniteTimeSpan));
        Assert.True(stopped.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));

        await Task.Delay(150, Ct);
        Assert.Equal(0, Volatile.Read(ref fired)); // neither fired at its first due time

        await Poll.UntilAsync(() => Volatile.Read(ref fired) == 1, () => $"{fired} fired", TimeSpan.FromSeconds(10));
        await Task.Delay(100, Ct);
        Assert.Equal(1, Volatile.Read(ref fired)); // the moved one, once
    }

    [Fact]
    public void Timers_disposed_long_before_they_were_due_are_not_kept_in_the_queue()
    {
        // As a timeout's cancellation source of a call that answered at once: due in an hour, disposed now.
        for (var i = 0; i < 5_000; i++)
            Clock.CreateTimer(_ => { }, null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan).Dispose();
        using var next = Clock.CreateTimer(_ => { }, null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);

        // The queue is shared with whatever else in this process uses the clock, so only an upper bound is certain.
        Assert.InRange(((PreciseTimeProvider)Clock).QueuedEntries, 1, 2_500);
    }

    [Fact]
    public async Task A_cancelled_delay_ends_at_once_as_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var delay = Task.Delay(TimeSpan.FromSeconds(30), Clock, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delay.WaitAsync(TimeSpan.FromSeconds(5), Ct));
    }

    [Fact]
    public async Task The_callback_runs_in_the_execution_context_of_the_timers_creator()
    {
        var flowing = new AsyncLocal<string> { Value = "creator" };
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = Clock.CreateTimer(_ => seen.TrySetResult(flowing.Value), null, TimeSpan.FromMilliseconds(5), Timeout.InfiniteTimeSpan);
        flowing.Value = "changed afterwards";

        Assert.Equal("creator", await seen.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public void Due_times_and_periods_are_held_to_what_the_system_timers_accept()
    {
        var longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
        var tooLong = longest + TimeSpan.FromMilliseconds(1);
        foreach (var clock in new[] { TimeProvider.System, Clock })
        {
            using var timer = clock.CreateTimer(_ => { }, null, longest, longest);
            Assert.Throws<ArgumentOutOfRangeException>(() => timer.Change(tooLong, Timeout.InfiniteTimeSpan));
            Assert.Throws<ArgumentOutOfRangeException>(() => timer.Change(Timeout.InfiniteTimeSpan, tooLong));
            Assert.Throws<ArgumentOutOfRangeException>(() => timer.Change(TimeSpan.FromMilliseconds(-2), Timeout.InfiniteTimeSpan));
        }
    }
}
