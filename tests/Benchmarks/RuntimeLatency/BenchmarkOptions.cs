using System.Globalization;

namespace DaprIoT.Benchmarks.RuntimeLatency;

/// <param name="Iterations">Sequential calls measured per hop.</param>
/// <param name="Warmup">
/// How long each hop is called, unmeasured, before its measured calls (and at least <see cref="MinimumWarmupCalls"/>
/// times): long enough for .NET's tiered compilation to have replaced the first, unoptimised code of the path with
/// its optimised code, in the runtime, the app and this client alike, as it has in a sidecar that has been running
/// for a while. A few hundred calls are not: they measured each hop at up to three times its steady added latency.
/// </param>
/// <param name="Buses">Brokers for the publish→deliver hop and the throughput phases: redis, rabbitmq or both.</param>
/// <param name="Latency">Whether to run the added-latency phase.</param>
/// <param name="Throughput">Whether to run the throughput phases, on each of <paramref name="Buses"/>.</param>
/// <param name="ThroughputDuration">How long each throughput phase publishes.</param>
/// <param name="Concurrency">Publish calls in flight at once during the single-publish phase.</param>
/// <param name="BulkConcurrency">Bulk publish calls (of 100 events each) in flight at once during the bulk phase.</param>
/// <param name="RedisConcurrency">pubsub.redis <c>concurrency</c> in the throughput phases: deliveries in flight, which also bounds a bulk batch.</param>
/// <param name="RuntimePath">The built dapr-local.dll.</param>
public sealed record BenchmarkOptions(
    int Iterations,
    TimeSpan Warmup,
    IReadOnlyList<string> Buses,
    bool Latency,
    bool Throughput,
    TimeSpan ThroughputDuration,
    int Concurrency,
    int BulkConcurrency,
    int RedisConcurrency,
    string RuntimePath)
{
    public const int MinimumWarmupCalls = 100;

    public const string Usage =
        "options: --phase latency|throughput|both (both), --iterations N (2000), --warmup S seconds of unmeasured calls per hop (3), --bus redis|rabbitmq|both (both), " +
        "--seconds S per throughput phase (15), --concurrency N (32), --bulk-concurrency N (4), --redis-concurrency N (500, as the platform's pubsub components), --runtime path/to/dapr-local.dll";

    public static BenchmarkOptions Parse(string[] args)
    {
        var iterations = 2000;
        var warmup = 3.0;
        var buses = new[] { "redis", "rabbitmq" };
        var phase = "both";
        var seconds = 15.0;
        var concurrency = 32;
        var bulkConcurrency = 4;
        var redisConcurrency = 500;
        var runtime = Path.Combine(AppContext.BaseDirectory, "dapr-local.dll");
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value; {Usage}");
            switch (args[i])
            {
                case "--iterations": iterations = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--bus": buses = value == "both" ? buses : [value]; break;
                case "--phase": phase = value; break;
                case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--bulk-concurrency": bulkConcurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--redis-concurrency": redisConcurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--runtime": runtime = value; break;
                default: throw new ArgumentException($"Unknown option {args[i]}; {Usage}");
            }
            i++;
        }
        if (phase is not ("latency" or "throughput" or "both")) throw new ArgumentException($"Unknown phase '{phase}'; {Usage}");
        if (buses.Any(b => b is not ("redis" or "rabbitmq"))) throw new ArgumentException($"Unknown bus; {Usage}");
        if (iterations < 1 || warmup is < 0 or > 600 || seconds <= 0 || seconds > 3600 || concurrency is < 1 or > 1024 || bulkConcurrency is < 1 or > 1024 || redisConcurrency is < 1 or > 1024) throw new ArgumentException(Usage);
        return new BenchmarkOptions(
            iterations, TimeSpan.FromSeconds(warmup), buses,
            Latency: phase != "throughput", Throughput: phase != "latency",
            TimeSpan.FromSeconds(seconds), concurrency, bulkConcurrency, redisConcurrency, runtime);
    }
}
