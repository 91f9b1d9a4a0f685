using System.Diagnostics;
using Dapr.Client;

namespace DaprIoT.Benchmarks.RuntimeLatency;

/// <summary>What one throughput phase measured.</summary>
/// <param name="Published">Events the sidecar accepted (the SDK call, or the bulk entry, succeeded).</param>
/// <param name="DeliveredInPhase">Events the app received while publishing went on.</param>
/// <param name="BacklogAtEnd">Accepted but not yet delivered when publishing stopped.</param>
/// <param name="DrainTime">How long the backlog took to reach the app after publishing stopped; null if it did not within the drain limit.</param>
/// <param name="EventsPerAppCall">Events the sidecar delivered per call to the app: 1 unless the subscription is bulk.</param>
/// <param name="Cores">dapr-local's CPU over the publishing time, in cores.</param>
/// <param name="BenchmarkCores">This process's (publisher and app) CPU over the same time, on the same machine.</param>
/// <param name="Failed">Publish calls (or bulk entries) that failed, with the first error.</param>
public sealed record ThroughputResult(
    string Name,
    TimeSpan Duration,
    long Published,
    long DeliveredInPhase,
    long BacklogAtEnd,
    TimeSpan? DrainTime,
    long StillBehind,
    LatencySample PublishToDeliver,
    double EventsPerAppCall,
    double Cores,
    double PeakMemoryMb,
    double BenchmarkCores,
    long Failed,
    string? FirstError);

/// <summary>
/// Publishes to a topic the same app subscribes to, for a fixed time, then waits a bounded time for deliveries to
/// catch up. Two ways to publish: as fast as the sidecar accepts, with a fixed number of SDK calls in flight (the
/// most it carries: a backlog and its queueing time are part of what it measures), or at a fixed rate whatever the
/// sidecar's pace (open loop: the latency at that rate). Publish→deliver starts when the SDK call starts, so it
/// includes time an event waits in a bulk call of its batch.
/// </summary>
public sealed class ThroughputPhase(DaprClient client, RuntimeUnderTest runtime, BenchmarkOptions options)
{
    /// <summary>How long deliveries get to catch up once publishing stopped.</summary>
    public static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(15);

    // A bound on the count as well as the time: no phase publishes more than 500,000 events a second.
    private long MaxEvents => (long)(options.ThroughputDuration.TotalSeconds * 500_000);

    private static long s_nextSeq;

    public Task<ThroughputResult> SingleAsync(DeliveryRecorder deliveries) =>
        RunAsync("single publish", deliveries, counter => ClosedLoopAsync(options.Concurrency, counter, async () =>
        {
            var sent = Stopwatch.GetTimestamp();
            await client.PublishEventAsync(BenchmarkApp.PubSub, BenchmarkApp.StreamTopic, new Probe(Interlocked.Increment(ref s_nextSeq), sent));
            counter.Accepted(1);
        }));

    public Task<ThroughputResult> BulkAsync(DeliveryRecorder deliveries) =>
        RunAsync($"bulk publish ({BenchmarkApp.BulkMaxMessages}/call, as fast as accepted)", deliveries,
            counter => ClosedLoopAsync(options.BulkConcurrency, counter, () => BulkPublishAsync(BenchmarkApp.BulkMaxMessages, counter)));

    /// <summary>Bulk publishes <paramref name="rate"/> events a second: every 2 ms one call with what is due.</summary>
    public Task<ThroughputResult> PacedBulkAsync(DeliveryRecorder deliveries, int rate) =>
        RunAsync(FormattableString.Invariant($"bulk publish at {rate:#,0} msg/s (one call every 2 ms with what is due)"), deliveries,
            counter => OpenLoop.RunAsync(rate, options.ThroughputDuration, async due =>
            {
                for (var offset = 0; offset < due; offset += BenchmarkApp.BulkMaxMessages)
                {
                    var events = Math.Min(BenchmarkApp.BulkMaxMessages, due - offset);
                    try { await BulkPublishAsync(events, counter); }
                    catch (Exception e) { counter.Refused(events, $"{e.GetType().Name}: {e.Message}"); }
                }
            }, CancellationToken.None));

    private async Task BulkPublishAsync(int events, PublishCounter counter)
    {
        var sent = Stopwatch.GetTimestamp();
        var batch = new Probe[events];
        for (var i = 0; i < batch.Length; i++) batch[i] = new Probe(Interlocked.Increment(ref s_nextSeq), sent);
        var response = await client.BulkPublishEventAsync(BenchmarkApp.PubSub, BenchmarkApp.BulkTopic, batch);
        var failed = response.FailedEntries.Count;
        counter.Accepted(batch.Length - failed);
        if (failed > 0) counter.Refused(failed, response.FailedEntries[0].ErrorMessage);
    }

    private async Task ClosedLoopAsync(int inFlight, PublishCounter counter, Func<Task> publishOnce)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(options.ThroughputDuration.TotalSeconds * Stopwatch.Frequency);

        async Task PublishLoopAsync()
        {
            while (Stopwatch.GetTimestamp() < stopAt && counter.Published < MaxEvents)
            {
                try
                {
                    await publishOnce();
                }
                catch (Exception e)
                {
                    // A failing sidecar would otherwise be hammered: count it, note it and slow this loop down.
                    counter.Refused(1, $"{e.GetType().Name}: {e.Message}");
                    await Task.Delay(100);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(PublishLoopAsync)));
    }

    private async Task<ThroughputResult> RunAsync(string name, DeliveryRecorder deliveries, Func<PublishCounter, Task> publish)
    {
        var counter = new PublishCounter();
        var deliveredBefore = deliveries.Count;
        var callsBefore = deliveries.Calls;
        await using var usage = ProcessUsage.Start(runtime.ProcessId);
        await using var ownUsage = ProcessUsage.Start(Environment.ProcessId);
        var started = Stopwatch.GetTimestamp();
        await publish(counter);
        var duration = Stopwatch.GetElapsedTime(started);
        var published = counter.Published;
        var deliveredInPhase = deliveries.Count - deliveredBefore;
        var backlog = published - deliveredInPhase;
        var (cores, peakMb) = await usage.StopAsync();
        var (ownCores, _) = await ownUsage.StopAsync();

        // Publishing stopped: wait for what was accepted to arrive, checking every 10 ms, at most DrainLimit.
        var drainStarted = Stopwatch.GetTimestamp();
        while (deliveries.Count - deliveredBefore < published && Stopwatch.GetElapsedTime(drainStarted) < DrainLimit)
            await Task.Delay(10);
        var stillBehind = published - (deliveries.Count - deliveredBefore);
        TimeSpan? drain = stillBehind <= 0 ? Stopwatch.GetElapsedTime(drainStarted) : null;
        var calls = deliveries.Calls - callsBefore;

        return new ThroughputResult(name, duration, published, deliveredInPhase, backlog, drain, stillBehind,
            deliveries.Sample(from: deliveredBefore), calls == 0 ? 0 : (double)(deliveries.Count - deliveredBefore) / calls, cores, peakMb, ownCores,
            counter.Failed, counter.FirstError);
    }

    /// <summary>Events the sidecar accepted and refused in one phase, from any number of publishing tasks.</summary>
    private sealed class PublishCounter
    {
        private long _published, _failed;
        private string? _firstError;

        public long Published => Interlocked.Read(ref _published);
        public long Failed => Interlocked.Read(ref _failed);
        public string? FirstError => Volatile.Read(ref _firstError);

        public void Accepted(int events) => Interlocked.Add(ref _published, events);

        public void Refused(int events, string? error)
        {
            Interlocked.Add(ref _failed, events);
            Interlocked.CompareExchange(ref _firstError, error, null);
        }
    }
}
