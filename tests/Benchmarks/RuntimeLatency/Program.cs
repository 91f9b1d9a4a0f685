// Measures dapr-local with the official Dapr .NET SDK as the client, as an app uses it:
//   1. the latency one hop through the sidecar adds (p50/p99 over the same call made without it);
//   2. pub/sub throughput on each bus over gRPC, single and bulk publish, with dapr-local's CPU and memory.
//   dotnet run -c Release --project tests/Benchmarks/RuntimeLatency -- [--phase latency|throughput|both]
//       [--iterations N] [--warmup S] [--bus redis|rabbitmq|both] [--seconds S] [--concurrency N] [--runtime path/to/dapr-local.dll]
// The app under test is hosted in this process (an app without a command in dapr.yaml, as the Dapr CLI allows).
using System.Globalization;
using Dapr.Client;
using DaprIoT.Benchmarks.RuntimeLatency;
using StackExchange.Redis;

var options = BenchmarkOptions.Parse(args);
await using var app = await BenchmarkApp.StartAsync();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"dapr-local with the Dapr .NET SDK, loopback, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start"));

try
{
    if (options.Latency) await MeasureLatencyAsync();
    if (options.Throughput) await MeasureThroughputAsync();
}
finally
{
    // The topics are Redis streams that outlive the run; remove them.
    await using var redis = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:6379");
    await redis.GetDatabase().KeyDeleteAsync([BenchmarkApp.LatencyTopic, BenchmarkApp.StreamTopic, BenchmarkApp.BulkTopic]);
}
Console.WriteLine();
// Other work on the machine moves every figure above; say how busy it was.
Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end");
return 0;

async Task MeasureLatencyAsync()
{
    Console.WriteLine();
    Console.WriteLine($"Added latency per hop: {options.Iterations} sequential calls after {options.Warmup.TotalSeconds:0.#} s of unmeasured ones (at least {BenchmarkOptions.MinimumWarmupCalls}), each next to the same call without the sidecar.");
    Console.WriteLine("Dapr 1.17 published figure: +1.1 ms p50, +2.9 ms p99 per service-invocation hop. Aim: under +0.5 ms p50 per hop.");
    Console.WriteLine();
    Report.LatencyHeader();
    var added = new List<(string Hop, double P50)>();
    foreach (var bus in options.Buses)
    {
        await using var runtime = await RuntimeUnderTest.StartAsync(app.Port, bus, options.RuntimePath);
        await using var measure = new HopMeasurements(app, runtime, options);

        if (bus == options.Buses[0])
        {
            var direct = await measure.InvokeAsync(viaSidecar: false);
            var invoke = await measure.InvokeAsync(viaSidecar: true);
            Report.Latency("HTTP InvokeMethodAsync, straight to the app", direct);
            Report.Latency("HTTP InvokeMethodAsync via sidecar", invoke, direct);
            added.Add(("service invocation", invoke.Added(direct).P50));

            var directActor = await measure.ActorAsync(viaSidecar: false);
            var actor = await measure.ActorAsync(viaSidecar: true);
            Report.Latency("ActorProxy call, straight to the app", directActor);
            Report.Latency("ActorProxy call via sidecar", actor, directActor);
            added.Add(("actor call", actor.Added(directActor).P50));

            var (rawSave, rawGet) = await measure.RawRedisStateAsync();
            var save = await measure.SaveStateAsync();
            var get = await measure.GetStateAsync();
            Report.Latency("Redis HSET, straight to Redis", rawSave);
            Report.Latency("gRPC SaveStateAsync (state.redis) via sidecar", save, rawSave);
            Report.Latency("Redis HMGET, straight to Redis", rawGet);
            Report.Latency("gRPC GetStateAsync (state.redis) via sidecar", get, rawGet);
            added.Add(("state save", save.Added(rawSave).P50));
            added.Add(("state get", get.Added(rawGet).P50));
        }

        var broker = bus == "redis"
            ? await HopMeasurements.RawRedisStreamAsync(options)
            : await HopMeasurements.RawRabbitMqAsync(options);
        var pubsub = await measure.PublishToDeliverAsync();
        Report.Latency(bus == "redis" ? "Redis XADD→XREAD, straight to Redis" : "RabbitMQ publish→consume, straight", broker);
        Report.Latency($"gRPC PublishEventAsync→WithTopic ({bus}) via sidecar", pubsub, broker);
        added.Add(($"publish→deliver on {bus}", pubsub.Added(broker).P50));
        runtime.PrintLoggedProblems();
    }

    Console.WriteLine();
    var missed = added.Where(a => a.P50 >= Report.AimAddedP50Ms).Select(a => a.Hop).ToList();
    Console.WriteLine(missed.Count == 0
        ? "Aim met: every hop adds under 0.5 ms p50."
        : $"Aim missed (+0.5 ms p50 or more added): {string.Join(", ", missed)}.");
}

async Task MeasureThroughputAsync()
{
    foreach (var bus in options.Buses) await MeasureBusThroughputAsync(bus);
}

async Task MeasureBusThroughputAsync(string bus)
{
    var broker = bus == "redis" ? "Redis Streams (pubsub.redis)" : "RabbitMQ (pubsub.rabbitmq, persistent, publisher confirms)";
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Pub/sub throughput on {broker} over gRPC, one app publishing and subscribing, {options.ThroughputDuration.TotalSeconds:0.#} s per phase."));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Calls in flight: {options.Concurrency} PublishEventAsync, or {options.BulkConcurrency} BulkPublishEventAsync of {BenchmarkApp.BulkMaxMessages} events; then bulk publishes at the aim's rate."));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Bulk subscription: up to {BenchmarkApp.BulkMaxMessages} events or {BenchmarkApp.BulkMaxAwaitMs} ms per batch. Aim with bulk: {Report.AimBulkRate:#,0} msg/s delivered, p99 under {Report.AimBulkP99Ms:0} ms."));
    if (bus == "redis")
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pubsub.redis concurrency {options.RedisConcurrency}: deliveries in flight, and the most events one bulk delivery carries."));
    Console.WriteLine();
    await using var runtime = await RuntimeUnderTest.StartAsync(app.Port, bus, options.RuntimePath, options.RedisConcurrency);
    using var client = new DaprClientBuilder()
        .UseHttpEndpoint($"http://127.0.0.1:{runtime.SidecarPort}")
        .UseGrpcEndpoint($"http://127.0.0.1:{runtime.GrpcPort}")
        .Build();
    var phase = new ThroughputPhase(client, runtime, options);

    Report.Throughput(await phase.SingleAsync(app.StreamDeliveries));
    Report.Throughput(await phase.BulkAsync(app.BulkDeliveries));
    // The aim is a latency at a rate: published at that rate, not as fast as accepted (which measures a backlog).
    var paced = await phase.PacedBulkAsync(app.BulkDeliveries, (int)Report.AimBulkRate);
    Report.Throughput(paced);
    runtime.PrintLoggedProblems();

    Console.WriteLine();
    var rate = paced.DeliveredInPhase / paced.Duration.TotalSeconds;
    var met = rate >= 0.99 * Report.AimBulkRate && paced.PublishToDeliver.P99 < Report.AimBulkP99Ms && paced.DrainTime is not null && paced.Failed == 0;
    Console.WriteLine(met
        ? FormattableString.Invariant($"Aim met with bulk at {Report.AimBulkRate:#,0} msg/s on {bus}: {rate:#,0} msg/s delivered, p99 {paced.PublishToDeliver.P99:0.0} ms.")
        : FormattableString.Invariant($"Aim missed with bulk at {Report.AimBulkRate:#,0} msg/s on {bus}: {rate:#,0} msg/s delivered, p99 {paced.PublishToDeliver.P99:0.0} ms (aim < {Report.AimBulkP99Ms:0}), {paced.Failed:#,0} failed, backlog {(paced.DrainTime is null ? "not drained" : "drained")}."));
}
