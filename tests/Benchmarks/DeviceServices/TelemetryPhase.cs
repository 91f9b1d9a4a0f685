using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using DaprIoT.Benchmarks.RuntimeLatency;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <summary>
/// Telemetry from the simulated bulbs through the lightbulb service (MQTT input binding → bulk publish) onto the
/// bus. Each reading is measured from the broker forwarding it to the watcher until the bus subscriber receives the
/// <c>TelemetryReading</c> with the same (deviceId, boot, seq). The service's own counters say how many it accepted
/// and dropped.
/// </summary>
public sealed class TelemetryPhase(DevicePlatform platform, Observations observations)
{
    private static readonly TimeSpan Straggle = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Waits until the telemetry the bus delivers is fresh (received by the service less than a second earlier, two
    /// seconds in a row): a backlog left by an earlier phase would otherwise be measured as this one's latency. Returns
    /// the seconds waited; gives up after <paramref name="within"/> and measures anyway.
    /// </summary>
    public async Task<double> SettleAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        long staleTicks = 0;
        void OnTelemetry(TelemetryReading reading, long at)
        {
            var age = Observations.Milliseconds(reading.ReceivedAt, at);
            if (age > 1000) Interlocked.Exchange(ref staleTicks, at);
        }

        observations.Telemetry += OnTelemetry;
        try
        {
            var clock = Stopwatch.StartNew();
            var fresh = 0;
            while (fresh < 2 && clock.Elapsed < within)
            {
                var since = Stopwatch.GetTimestamp();
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                fresh = Interlocked.Read(ref staleTicks) < since ? fresh + 1 : 0;
            }

            return clock.Elapsed.TotalSeconds;
        }
        finally
        {
            observations.Telemetry -= OnTelemetry;
        }
    }

    public async Task<TelemetryResult> RunAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var published = new ConcurrentDictionary<(string, uint, uint), long>();
        // Readings the bus delivered before the watcher saw them: under load the watcher's own connection can lag
        // behind the whole path. Such a reading is delivered, but has no latency to measure.
        var aheadOfWatcher = new ConcurrentDictionary<(string, uint, uint), byte>();
        long matchedAhead = 0;
        var latencies = new ConcurrentBag<double>();
        var toService = new ConcurrentBag<double>();
        var toBus = new ConcurrentBag<double>();
        long seen = 0, deliveredInWindow = 0;
        var measuring = true;
        var start = Stopwatch.GetTimestamp();
        var end = long.MaxValue;

        void OnPublished(string topic, string payload, long at)
        {
            if (!Volatile.Read(ref measuring) || !topic.EndsWith("/telemetry", StringComparison.Ordinal)) return;
            using var json = JsonDocument.Parse(payload);
            var key = (Observations.DeviceIdOf(topic), json.RootElement.GetProperty("boot").GetUInt32(), json.RootElement.GetProperty("seq").GetUInt32());
            Interlocked.Increment(ref seen);
            if (aheadOfWatcher.TryRemove(key, out _)) Interlocked.Increment(ref matchedAhead);
            else published[key] = at;
        }

        void OnTelemetry(TelemetryReading reading, long at)
        {
            if (at <= Volatile.Read(ref end)) Interlocked.Increment(ref deliveredInWindow);
            if (published.TryRemove((reading.DeviceId, reading.Boot, reading.Seq), out var publishedAt))
            {
                latencies.Add(Observations.Milliseconds(publishedAt, at));
                toService.Add(Observations.Milliseconds(publishedAt, reading.ReceivedAt));
                toBus.Add(Observations.Milliseconds(reading.ReceivedAt, at));
            }
            else if (Volatile.Read(ref measuring))
            {
                aheadOfWatcher[(reading.DeviceId, reading.Boot, reading.Seq)] = 0;
            }
        }

        var before = await ServiceCountsAsync(cancellationToken);
        observations.Published += OnPublished;
        observations.Telemetry += OnTelemetry;
        try
        {
            await Task.Delay(duration, cancellationToken);
            Volatile.Write(ref measuring, false);
            Volatile.Write(ref end, Stopwatch.GetTimestamp());
            var seconds = Observations.Milliseconds(start, end) / 1000;

            var waited = Stopwatch.StartNew();
            var progress = (Count: -1, At: TimeSpan.Zero);
            while (!published.IsEmpty && waited.Elapsed - progress.At < Straggle)
            {
                if (latencies.Count != progress.Count) progress = (latencies.Count, waited.Elapsed);
                await Task.Delay(50, cancellationToken);
            }

            var after = await ServiceCountsAsync(cancellationToken);
            return new TelemetryResult(seconds, Interlocked.Read(ref seen), Interlocked.Read(ref deliveredInWindow), latencies.Count, (int)Interlocked.Read(ref matchedAhead), published.Count,
                after.Published - before.Published, after.Dropped - before.Dropped, after.Rejected - before.Rejected,
                new LatencySample(latencies), new LatencySample(toService), new LatencySample(toBus));
        }
        finally
        {
            observations.Published -= OnPublished;
            observations.Telemetry -= OnTelemetry;
        }
    }

    /// <summary>The service's telemetry counters, from one read of its metrics: published, dropped, rejected.</summary>
    private async Task<(double Published, double Dropped, double Rejected)> ServiceCountsAsync(CancellationToken cancellationToken)
    {
        var metrics = await platform.MetricsAsync("lightbulb", cancellationToken);
        return (DevicePlatform.Sum(metrics, "dapriot_device_messages_total", "kind=\"telemetry\"", "outcome=\"published\""),
            DevicePlatform.Sum(metrics, "dapriot_telemetry_dropped_total"),
            DevicePlatform.Sum(metrics, "dapriot_device_messages_total", "kind=\"telemetry\"", "outcome=\"rejected\""));
    }
}

/// <param name="Forwarded">Telemetry the broker forwarded to the watcher during the stretch.</param>
/// <param name="DeliveredInWindow">Telemetry the bus delivered during the stretch.</param>
/// <param name="Matched">Forwarded readings the bus delivered (during the stretch or after it).</param>
/// <param name="MatchedAhead">Forwarded readings the bus delivered before the watcher saw them (no latency measured).</param>
/// <param name="Missing">Forwarded readings not delivered when the wait ended.</param>
/// <param name="Accepted">Readings the service queued for the bus (its counter, the whole stretch and wait).</param>
/// <param name="Dropped">Readings the service dropped (its counter).</param>
/// <param name="Rejected">Readings the service rejected as bad input (its counter).</param>
/// <param name="ToService">From the broker to the service's binding handler (the reading's <c>ReceivedAt</c>).</param>
/// <param name="ToBus">From the binding handler to the bus subscriber: queue, bulk publish, Redis Streams, delivery.</param>
public sealed record TelemetryResult(double Seconds, long Forwarded, long DeliveredInWindow, int Matched, int MatchedAhead, int Missing, double Accepted, double Dropped, double Rejected, LatencySample Latency,
    LatencySample ToService, LatencySample ToBus)
{
    public double DeliveredPerSecond => DeliveredInWindow / Seconds;
}
