using System.Globalization;

namespace DaprIoT.Benchmarks.RuntimeLatency;

public static class Report
{
    public const double AimAddedP50Ms = 0.5;
    public const double AimBulkRate = 20_000;
    public const double AimBulkP99Ms = 50;

    public static void LatencyHeader()
    {
        Console.WriteLine($"{"call (Dapr .NET SDK 1.19.1)",-56} {"p50 ms",8} {"p99 ms",8} {"added p50",10} {"added p99",10}");
    }

    public static void Latency(string call, LatencySample sample, LatencySample? baseline = null)
    {
        var added = baseline is null ? "" : Line($"{sample.Added(baseline).P50,10:+0.000;-0.000} {sample.Added(baseline).P99,10:+0.000;-0.000}");
        Console.WriteLine(Line($"{call,-56} {sample.P50,8:0.000} {sample.P99,8:0.000} {added}"));
    }

    public static void Throughput(ThroughputResult r)
    {
        var seconds = r.Duration.TotalSeconds;
        Console.WriteLine(Line($"{r.Name}: {seconds:0.0} s, published {r.Published / seconds,9:#,0} msg/s, delivered {r.DeliveredInPhase / seconds,9:#,0} msg/s"));
        Console.WriteLine(Line($"  publish→deliver p50 {r.PublishToDeliver.P50:0.0} ms, p99 {r.PublishToDeliver.P99:0.0} ms over {r.PublishToDeliver.Count:#,0} deliveries, {r.EventsPerAppCall:0.0} events per call to the app"));
        var drained = r.DrainTime is { } drain
            ? Line($"delivered within {drain.TotalSeconds:0.00} s after publishing stopped")
            : Line($"{r.StillBehind:#,0} still undelivered {ThroughputPhase.DrainLimit.TotalSeconds:0} s after publishing stopped");
        Console.WriteLine(Line($"  backlog when publishing stopped: {r.BacklogAtEnd:#,0} of {r.Published:#,0} accepted ({Percent(r.BacklogAtEnd, r.Published)}); {drained}"));
        Console.WriteLine(Line($"  dapr-local: {r.Cores:0.00} cores, peak resident memory {r.PeakMemoryMb:0} MB (publisher and app: {r.BenchmarkCores:0.00} cores)"));
        if (r.Failed > 0) Console.WriteLine(Line($"  {r.Failed:#,0} publishes failed; first: {r.FirstError}"));
    }

    private static string Percent(long part, long whole) => whole == 0 ? "-" : Line($"{100.0 * part / whole:0.0}%");

    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
