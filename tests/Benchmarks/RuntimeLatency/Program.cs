// Measures what one hop through dapr-local adds, on loopback, and prints p50/p99 next to Dapr's figures; for each bus
// also publish→deliver throughput with several publishes in flight.
//   dotnet run -c Release --project tests/Benchmarks/RuntimeLatency -- [--iterations N] [--bus redis|rabbitmq|both]
// The app under test is hosted in this process (an app without a command in dapr.yaml, as the Dapr CLI
// allows), so each hop is compared with the same call made straight to the app.
using System.Globalization;
using DaprIoT.Benchmarks.RuntimeLatency;

var options = BenchmarkOptions.Parse(args);
await using var app = await BenchmarkApp.StartAsync();
Console.WriteLine($"dapr-local latency per hop, {options.Iterations} sequential calls after {options.Warmup} warm-up, loopback, {Environment.ProcessorCount} cores");
Console.WriteLine("Dapr 1.17 published figure for a service-invocation hop: +1.1 ms p50, +2.9 ms p99.");
Console.WriteLine();
Console.WriteLine($"{"hop",-38} {"p50 ms",8} {"p99 ms",8} {"added p50",10} {"added p99",10}");

var exitCode = 0;
foreach (var bus in options.Buses)
{
    await using var runtime = await RuntimeUnderTest.StartAsync(app.Port, bus, options.RuntimePath);
    var measure = new HopMeasurements(app, runtime, options);

    if (bus == options.Buses[0])
    {
        var direct = await measure.DirectInvokeAsync();
        var invoke = await measure.SidecarInvokeAsync();
        Report.Print("app, called directly", direct);
        Report.Print("service invocation via sidecar", invoke, direct);
        var directActor = await measure.DirectActorAsync();
        var actor = await measure.SidecarActorAsync();
        Report.Print("actor method, app called directly", directActor);
        Report.Print("actor method via sidecar", actor, directActor);
        if (invoke.Added(direct).P50 > 0.5) exitCode = 1;
    }

    var broker = bus == "redis" ? await measure.RawRedisStreamAsync() : await measure.RawRabbitMqAsync();
    var pubsub = await measure.PublishToDeliverAsync();
    Report.Print($"{bus}: broker alone", broker);
    Report.Print($"{bus}: publish→deliver via sidecar", pubsub, broker);
    const int InFlight = 16;
    var throughput = await measure.PublishThroughputAsync(options.Iterations * 2, InFlight);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{bus}: publish→deliver throughput, {InFlight} publishes in flight: {throughput:0} messages/s"));
}

Console.WriteLine();
Console.WriteLine(exitCode == 0
    ? "Target met: service invocation adds under 0.5 ms p50 per hop."
    : "Target missed: service invocation adds 0.5 ms or more p50 per hop.");
return exitCode;
