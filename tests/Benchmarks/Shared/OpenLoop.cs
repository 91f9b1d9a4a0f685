using System.Diagnostics;

namespace DaprIoT.Benchmarks;

/// <summary>
/// Publishes at a fixed rate whatever the platform's pace (open loop): every 2 ms it issues as many messages as the
/// clock says are due, as one batch, without waiting for earlier batches.
/// </summary>
public static class OpenLoop
{
    /// <summary>Publishes until <paramref name="duration"/> passed; returns the seconds it published for, once every batch it issued completed.</summary>
    public static async Task<double> RunAsync(int rate, TimeSpan duration, Func<int, Task> publish, CancellationToken ct)
    {
        var pending = new List<Task>();
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(2));
        long issued = 0;
        while (clock.Elapsed < duration && await timer.WaitForNextTickAsync(ct))
        {
            var due = (long)(Math.Min(clock.Elapsed.TotalSeconds, duration.TotalSeconds) * rate);
            if (due > issued)
            {
                pending.Add(publish((int)(due - issued)));
                issued = due;
            }

            if (pending.Count > 64) pending.RemoveAll(t => t.IsCompleted);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(pending);
        return seconds;
    }
}
