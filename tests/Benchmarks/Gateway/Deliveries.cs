using System.Diagnostics;
using DaprIoT.Benchmarks.RuntimeLatency;
using DaprIoT.Contracts.Events;

namespace DaprIoT.Benchmarks.Gateway;

/// <summary>
/// What was published for each device and what its owner's connection received. Each publish is kept, in order,
/// with a value its change will show (a version, or a reported brightness) and the time it was published. A received
/// change settles the first kept publish of that device with the same value: that one is delivered, with its
/// latency; the ones before it were superseded (the gateway coalesces a device's rapid changes and sends the newest).
/// Whatever is still kept at the end was not delivered.
/// </summary>
public sealed class Deliveries(IReadOnlyDictionary<string, int> devices, Func<DeviceEvent, long?> valueOf)
{
    private readonly Queue<(long Value, long PublishedAt)>[] _kept = [.. devices.Select(_ => new Queue<(long, long)>())];
    private readonly List<(long PublishedAt, double Ms)> _delivered = new(1 << 16);
    private long _published;
    private long _superseded;
    private long _unexpected;

    public long Published => Interlocked.Read(ref _published);

    public long Delivered
    {
        get
        {
            lock (_delivered) return _delivered.Count;
        }
    }

    public long Superseded => Interlocked.Read(ref _superseded);

    /// <summary>Changes of a tracked device that matched no kept publish (a repeat, or a change nobody published here).</summary>
    public long Unexpected => Interlocked.Read(ref _unexpected);

    public long Outstanding => Published - Delivered - Superseded;

    public void Publishing(int device, long value, long at)
    {
        var kept = _kept[device];
        lock (kept) kept.Enqueue((value, at));
        Interlocked.Increment(ref _published);
    }

    /// <summary>Forgets a publish that failed (it never reached the broker or the bus).</summary>
    public void Failed(int device, long value)
    {
        var kept = _kept[device];
        lock (kept)
        {
            var rest = kept.Where(k => k.Value != value).ToList();
            if (rest.Count == kept.Count) return;
            kept.Clear();
            foreach (var k in rest) kept.Enqueue(k);
        }

        Interlocked.Decrement(ref _published);
    }

    public void Received(DeviceEvent change, long at)
    {
        if (!devices.TryGetValue(change.DeviceId, out var device) || valueOf(change) is not { } value) return;
        var kept = _kept[device];
        long publishedAt;
        lock (kept)
        {
            var position = 0;
            foreach (var k in kept)
            {
                if (k.Value == value) break;
                position++;
            }

            if (position == kept.Count)
            {
                Interlocked.Increment(ref _unexpected);
                return;
            }

            for (var i = 0; i < position; i++) kept.Dequeue();
            publishedAt = kept.Dequeue().PublishedAt;
            Interlocked.Add(ref _superseded, position);
        }

        lock (_delivered) _delivered.Add((publishedAt, Stopwatch.GetElapsedTime(publishedAt, at).TotalMilliseconds));
    }

    /// <summary>Waits until nothing is outstanding, or nothing was delivered for <paramref name="quiet"/>, or <paramref name="limit"/> passed; returns seconds waited.</summary>
    public async Task<double> DrainAsync(TimeSpan quiet, TimeSpan limit, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var last = (Outstanding: Outstanding, At: TimeSpan.Zero);
        while (Outstanding > 0 && clock.Elapsed < limit && clock.Elapsed - last.At < quiet)
        {
            await Task.Delay(50, ct);
            if (Outstanding != last.Outstanding) last = (Outstanding, clock.Elapsed);
        }

        return clock.Elapsed.TotalSeconds;
    }

    public LatencySample Latency()
    {
        lock (_delivered) return new LatencySample(_delivered.Select(d => d.Ms));
    }

    /// <summary>
    /// Latencies grouped by the 10-second step (from <paramref name="start"/>) in which they were published: the worst
    /// step's p99 and its sample count, or null when no step has one. A step starting at or after
    /// <paramref name="duration"/> holds only the last tick's messages and is left out.
    /// </summary>
    public (int Step, double P99, int Count)? WorstStep(long start, TimeSpan step, TimeSpan duration)
    {
        List<(long PublishedAt, double Ms)> all;
        lock (_delivered) all = [.. _delivered];
        var steps = all.GroupBy(d => (int)(Stopwatch.GetElapsedTime(start, d.PublishedAt).Ticks / step.Ticks))
            .Where(g => g.Key == 0 || g.Key * step.Ticks < duration.Ticks)
            .Select(g => (Step: g.Key, Sample: new LatencySample(g.Select(d => d.Ms))))
            .ToList();
        if (steps.Count == 0) return null;
        var worst = steps.MaxBy(s => s.Sample.P99);
        return (worst.Step, worst.Sample.P99, worst.Sample.Count);
    }
}
