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
/// Publishes as fast as the sidecar accepts, with a fixed number of SDK calls in flight, to a topic the same app
/// subscribes to, for a fixed time; then waits a bounded time for deliveries to catch up. Publish→deliver starts
/// when the SDK call starts, so it includes time an event waits in a bulk call of its batch.
/// </summary>
public sealed class ThroughputPhase(DaprClient client, RuntimeUnderTest runtime, BenchmarkOptions options)
{
    /// <summary>How long deliveries get to catch up once publishing stopped.</summary>
    public static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(15);

    // A bound on the count as well as the time: no phase publishes more than 500,000 events a second.
    private long MaxEvents => (long)(options.ThroughputDuration.TotalSeconds * 500_000);

    private static long s_nextSeq;

    public Task<ThroughputResult> SingleAsync(DeliveryRecorder deliveries) =>
        RunAsync("single publish", options.Concurrency, deliveries, async () =>
        {
            var sent = Stopwatch.GetTimestamp();
            await client.PublishEventAsync(BenchmarkApp.PubSub, BenchmarkApp.StreamTopic, new Probe(Interlocked.Increment(ref s_nextSeq), sent));
            return (1, 0, null);
        });

    public Task<ThroughputResult> BulkAsync(DeliveryRecorder deliveries) =>
        RunAsync($"bulk publish ({BenchmarkApp.BulkMaxMessages}/call)", options.BulkConcurrency, deliveries, async () =>
        {
            var sent = Stopwatch.GetTimestamp();
            var batch = new Probe[BenchmarkApp.BulkMaxMessages];
            for (var i = 0; i < batch.Length; i++) batch[i] = new Probe(Interlocked.Increment(ref s_nextSeq), sent);
            var response = await client.BulkPublishEventAsync(BenchmarkApp.PubSub, BenchmarkApp.BulkTopic, batch);
            var failed = response.FailedEntries.Count;
            return (batch.Length - failed, failed, failed > 0 ? response.FailedEntries[0].ErrorMessage : null);
        });

    private async Task<ThroughputResult> RunAsync(
        string name, int inFlight, DeliveryRecorder deliveries, Func<Task<(int Accepted, int Failed, string? Error)>> publishOnce)
    {
        long published = 0, failed = 0;
        string? firstError = null;
        var deliveredBefore = deliveries.Count;
        await using var usage = ProcessUsage.Start(runtime.ProcessId);
        await using var ownUsage = ProcessUsage.Start(Environment.ProcessId);
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(options.ThroughputDuration.TotalSeconds * Stopwatch.Frequency);

        async Task PublishLoopAsync()
        {
            while (Stopwatch.GetTimestamp() < stopAt && Interlocked.Read(ref published) < MaxEvents)
            {
                try
                {
                    var (accepted, refused, error) = await publishOnce();
                    Interlocked.Add(ref published, accepted);
                    if (refused > 0)
                    {
                        Interlocked.Add(ref failed, refused);
                        Interlocked.CompareExchange(ref firstError, error, null);
                    }
                }
                catch (Exception e)
                {
                    // A failing sidecar would otherwise be hammered: count it, note it and slow this loop down.
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"{e.GetType().Name}: {e.Message}", null);
                    await Task.Delay(100);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(PublishLoopAsync)));
        var duration = Stopwatch.GetElapsedTime(started);
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

        return new ThroughputResult(name, duration, published, deliveredInPhase, backlog, drain, stillBehind,
            deliveries.Sample(), deliveries.Calls == 0 ? 0 : (double)deliveries.Count / deliveries.Calls, cores, peakMb, ownCores,
            failed, firstError);
    }
}
