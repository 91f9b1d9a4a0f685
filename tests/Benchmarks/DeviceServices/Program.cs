// Measures the device services end to end with the firmware's host build as the devices, on this machine:
//   telemetry to the bus, state changes through the actors, command round trips, memory per active actor and a
//   reconnect storm, each with the CPU and memory of every process, then a summary against the issue's aims.
//   dotnet run -c Release --project tests/Benchmarks/DeviceServices -- [--devices N] [--seconds S]
//       [--phase memory|commands|state|storm|telemetry|all] [--rate R] (BenchmarkOptions.Usage lists all)
// The platform is the device services' end-to-end test fixture: dapr-local with the repository's components, the
// built lightbulb and sousvide services, a private Redis and a private Mosquitto (dynamic security), and a bus
// subscriber hosted in this process. A setup error ends the run with exit code 1; a missed aim is printed as MISS.
using System.Globalization;
using DaprIoT.Benchmarks;
using DaprIoT.Benchmarks.DeviceServices;
using DaprIoT.DeviceServices.Tests.Platform;

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
var ct = cancel.Token;
var report = new Report();
DevicePlatform? platform = null;
try
{
    Report.Line($"Device services with firmware host-build devices, loopback, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start");
    Report.Line($"{options.Devices:#,0} simulated bulbs, {options.Seconds.TotalSeconds:0.#} s per measured stretch, phases: {string.Join(", ", BenchmarkOptions.AllPhases.Where(options.Runs))}");
    Report.Line($"Latencies start when the broker forwards the device's message to an admin watcher (same machine) and end when the bus subscriber receives the matching message; each is stamped as it arrives in this process.");

    platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
    CheckOpenFiles(options);
    await using var observations = await Observations.StartAsync(platform, ct);
    var fleet = new Fleet(platform, observations, options);
    int? simulatorRate = null;
    var problemsSeen = 0;

    // Setup, which is also the memory phase: the service before any actor, with the first half of the fleet
    // provisioned and online, then with all of it. The second half's growth is what one more active actor costs, free
    // of what the first actors brought once (compiled code, connection buffers, preallocated metric storage).
    var memoryBefore = await ServiceMemory.ReadAsync(platform, ct);
    var meter = ProcessMeter.Start();
    var setupClock = System.Diagnostics.Stopwatch.StartNew();
    var half = options.Devices / 2;
    var (provisionSeconds, provisionRetries) = await fleet.ProvisionAsync(1, half, ct);
    await fleet.StartAsync(1, half, simulatorRate, ct);
    var onlineSeconds = await fleet.WaitOnlineAsync(half, TimeSpan.FromMinutes(5), ct);
    await Task.Delay(TimeSpan.FromSeconds(3), ct);
    var memoryHalf = await ServiceMemory.ReadAsync(platform, ct);
    var (secondSeconds, secondRetries) = await fleet.ProvisionAsync(half + 1, options.Devices, ct);
    await fleet.StartAsync(half + 1, options.Devices, simulatorRate, ct);
    onlineSeconds += await fleet.WaitAllOnlineAsync(TimeSpan.FromMinutes(5), ct);
    await Task.Delay(TimeSpan.FromSeconds(3), ct);
    var memoryAfter = await ServiceMemory.ReadAsync(platform, ct);
    var setupUsage = await meter.StopAsync();
    (provisionSeconds, provisionRetries) = (provisionSeconds + secondSeconds, provisionRetries + secondRetries);
    if (options.Runs("memory"))
    {
        var added = options.Devices - half;
        Report.Heading("Memory per active device actor");
        Report.Line($"  provisioned {options.Devices:#,0} devices through their actors in {provisionSeconds:0.0} s ({options.Devices / provisionSeconds:#,0}/s, {options.ProvisionConcurrency} in flight, {provisionRetries:#,0} calls failed and were made again), in two halves");
        Report.Line($"  all online (event with presence online) {onlineSeconds:0.0} s after their simulators started, the halves' waits added");
        Report.Line($"  lightbulb service, each read after a full collection induced through the diagnostics port:");
        Report.Line($"    {"",-28} {"RSS MB",8} {"heap MB",8}");
        foreach (var (label, memory) in new[] { ("before any actor", memoryBefore), (Report.Text($"{half:#,0} active actors"), memoryHalf), (Report.Text($"{options.Devices:#,0} active actors"), memoryAfter) })
            Report.Line($"    {label,-28} {memory.RssMb,8:0.0} {(memory.HeapMb is { } heap ? Report.Text($"{heap:0.0}") : "—"),8}");
        var rssPerActor = (memoryAfter.RssMb - memoryHalf.RssMb) * 1024 / added;
        var rssFromCold = (memoryAfter.RssMb - memoryBefore.RssMb) * 1024 / options.Devices;
        Report.Line($"  → each of the last {added:#,0} actors: {rssPerActor:0.00} KB RSS; from before any actor: {rssFromCold:0.00} KB RSS per actor");
        double? heapPerActor = null;
        if (memoryBefore.HeapMb is { } heapBefore && memoryHalf.HeapMb is { } heapHalf && memoryAfter.HeapMb is { } heapAfter)
        {
            heapPerActor = (heapAfter - heapHalf) * 1024 / added;
            Report.Line($"  → managed heap ({memoryAfter.HeapMetric}): each of the last {added:#,0} actors {heapPerActor:0.00} KB; from before any actor {(heapAfter - heapBefore) * 1024 / options.Devices:0.00} KB per actor");
        }
        else Report.Line($"  managed heap: {memoryAfter.HeapMetric}");

        Report.Line($"  processes during setup ({setupClock.Elapsed.TotalSeconds:0} s):");
        Report.Processes(setupUsage, meter.Seconds, options.Devices, "device set up");
        problemsSeen = Report.PrintProblemsSince(platform.Runtime, problemsSeen);
        // What the server GC keeps of its heaps after a full collection varies by tens of MB from one read to the next
        // (RSS fell from 5,000 to 10,000 actors in both 10,000-device runs), so the aim takes the larger of the two
        // growths.
        var perActor = Math.Max(rssPerActor, heapPerActor ?? rssPerActor);
        report.Aim("Memory ≤ 10 KB per active actor (10,000 actors)",
            Report.Text($"{perActor:0.0} KB per actor added ({half:#,0} → {options.Devices:#,0}; RSS {rssPerActor:0.0}, heap {(heapPerActor is { } h ? Report.Text($"{h:0.0}") : "—")})"),
            perActor <= 10 && options.Devices >= 10_000);
        report.Aim("  RSS per actor from before any actor (no aim)", Report.Text($"{rssFromCold:0.0} KB"), null);
    }

    if (options.Runs("commands"))
    {
        var phase = new CommandPhase(platform, observations, fleet);
        foreach (var rate in options.CommandRates)
        {
            Report.Heading(Report.Text($"Command round trip at {rate:#,0} commands/s"));
            Report.Line($"  SetDesired (ActorProxy.InvokeMethodAsync, as device-management calls it) → cmd → firmware ack and state → device-events with the command Applied; bulbs in turn, {options.Seconds.TotalSeconds:0} s");
            // The fleet's start (births, presence, first reports) or the stretch before must not be measured with it.
            string[] platformProcesses = ["dapr-local", "lightbulb", "redis-server", "mosquitto"];
            var quiet = await ProcessMeter.QuietAsync(platformProcesses, ct);
            Report.Line($"  waited {quiet:0} s for the platform to be idle (under 0.5 cores) first");
            Report.Line($"  {await WarmUp.RunAsync(duration => phase.RunAsync(rate, duration, ct), platformProcesses, ct)}");
            meter = ProcessMeter.Start();
            var result = await phase.RunAsync(rate, options.Seconds, ct);
            var usage = await meter.StopAsync();
            if (result.Accepted == 0) throw new InvalidOperationException($"no command was accepted: {result.FirstError}");
            Report.Line($"  accepted {result.Accepted:#,0} ({result.Accepted / result.Seconds:#,0}/s), refused {result.Refused:#,0}, calls failed {result.Failed:#,0}");
            Report.Line($"  outcomes: applied {result.RoundTrip.Count:#,0}, superseded by a newer command to the same device {result.Superseded:#,0}, refused by the device or given up {result.Unsuccessful:#,0}, lost (no outcome {result.WaitSeconds:0} s after the stretch) {result.Lost:#,0}");
            if (result.FirstError is not null) Report.Line($"  first error: {result.FirstError}");
            Report.Line($"  round trip {Report.Ms(result.RoundTrip)}");
            foreach (var (hop, latency) in result.Hops) Report.Line($"    {hop,-44} {Report.Ms(latency)}");
            Report.Processes(usage, meter.Seconds, result.Accepted, "command");
            problemsSeen = Report.PrintProblemsSince(platform.Runtime, problemsSeen);
            if (rate <= 100)
            {
                report.Aim(Report.Text($"Commands at {rate}/s: p50 ≤ 5 ms"), Report.Text($"p50 {result.RoundTrip.P50:0.0} ms"), result.RoundTrip.P50 <= 5);
                report.Aim(Report.Text($"Commands at {rate}/s: p99 ≤ 20 ms"), Report.Text($"p99 {result.RoundTrip.P99:0.0} ms"), result.RoundTrip.P99 <= 20);
            }
            else report.Aim(Report.Text($"Commands at {rate:#,0}/s: p99 < 50 ms"), Report.Text($"p99 {result.RoundTrip.P99:0.0} ms"), result.RoundTrip.P99 < 50);
            report.Aim(Report.Text($"Commands at {rate:#,0}/s: none lost"),
                Report.Text($"{result.Lost + result.Failed:#,0} lost or failed of {result.Accepted + result.Failed:#,0}"), result.Lost == 0 && result.Failed == 0);
            if (result.Superseded > 0)
                report.Aim(Report.Text($"  commands at {rate:#,0}/s superseded before applied (no aim)"), Report.Text($"{result.Superseded:#,0} of {result.Accepted:#,0}"), null);
        }
    }

    StateLoad? states = null;
    if (options.Runs("state") || (options.Runs("storm") && options.StormStateRate > 0))
        states = await StateLoad.StartAsync(platform, observations, options.StateDevices, options.ProvisionConcurrency, ct);
    await using var disposeStates = states;

    if (options.Runs("state"))
    {
        Report.Heading(Report.Text($"State changes through the actors at {options.StateRate:#,0}/s"));
        Report.Line($"  crafted states (QoS 1, admin login) to {options.StateDevices:#,0} provisioned devices in turn → binding → actor → device-events; {options.Seconds.TotalSeconds:0} s after 3 s of warm-up");
        using (var warmUp = new CancellationTokenSource(TimeSpan.FromSeconds(3))) await states!.RunAsync(options.StateRate, warmUp.Token, ct);
        meter = ProcessMeter.Start();
        using var stretch = new CancellationTokenSource(options.Seconds);
        var result = await states!.RunAsync(options.StateRate, stretch.Token, ct);
        var usage = await meter.StopAsync();
        if (result.Latency.Count == 0) throw new InvalidOperationException("no state change reached the bus");
        PrintStates(result, platform.Recorder);
        Report.Processes(usage, meter.Seconds, result.Latency.Count, "state change");
        problemsSeen = Report.PrintProblemsSince(platform.Runtime, problemsSeen);
        report.Aim("State changes: 2,000/s through the actors", Report.Text($"{result.DeliveredPerSecond:#,0}/s delivered"), result.DeliveredPerSecond >= 2_000);
        report.Aim("State changes: p99 < 50 ms", Report.Text($"p99 {result.Latency.P99:0.0} ms"), result.Latency.P99 < 50);
    }

    if (options.Runs("storm"))
    {
        simulatorRate = options.Runs("telemetry") ? options.TelemetryRate : null;
        Report.Heading(Report.Text($"Reconnect storm: {options.Devices:#,0} devices killed and restarted at once with a new boot"));
        Report.Line($"  current again = an event showing the device online in a newer connection epoch; {options.StormStateRate:#,0} state changes/s meanwhile");
        Report.Line($"  the simulators come back with {(simulatorRate is { } r ? Report.Text($"{r:#,0} telemetry msg/s in total") : "background telemetry")}, {fleet.DeviceIds.Count:#,0} connections at the simulator's --connect-rate (2,000/s per process)");
        meter = ProcessMeter.Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await new StormPhase(platform, observations, fleet).RunAsync(states, options.StormStateRate, simulatorRate, TimeSpan.FromMinutes(3), ct);
        var usage = await meter.StopAsync();
        Report.Line($"  twins current again: {result.Current:#,0} of {result.Devices:#,0}; half after {result.HalfCurrentSeconds:0.0} s, all after {(result.AllCurrentSeconds is { } s ? Report.Text($"{s:0.0} s") : "— (not all within 3 min)")}");
        Report.Line($"  {result.CurrentByRead:#,0} of them found current by reading the twin (their reconnection published no event)");
        if (result.States is { } st) PrintStates(st, platform.Recorder);
        Report.Processes(usage, meter.Seconds);
        problemsSeen = Report.PrintProblemsSince(platform.Runtime, problemsSeen);
        report.Aim("Storm: seconds until every twin is current (no aim)",
            result.AllCurrentSeconds is { } all ? Report.Text($"{all:0.0} s ({result.Devices:#,0} devices)") : Report.Text($"{result.Current:#,0}/{result.Devices:#,0} in 3 min"), null);
        if (result.States is { } during)
            report.Aim("Storm: state-change p99 < 50 ms meanwhile", Report.Text($"p99 {during.Latency.P99:0.0} ms"), during.Latency.P99 < 50);
    }

    if (options.Runs("telemetry"))
    {
        if (simulatorRate != options.TelemetryRate)
        {
            simulatorRate = options.TelemetryRate;
            await fleet.KillAsync();
            await fleet.StartAsync(simulatorRate, ct);
            await fleet.WaitAllOnlineAsync(TimeSpan.FromMinutes(5), ct);
        }

        var phase = new TelemetryPhase(platform, observations);
        var settled = await phase.SettleAsync(TimeSpan.FromMinutes(1), ct);
        Report.Heading(Report.Text($"Telemetry: {options.TelemetryRate:#,0} msg/s from {options.Devices:#,0} devices, {options.Seconds.TotalSeconds:0} s"));
        Report.Line($"  device → Mosquitto → MQTT input binding → lightbulb service → bulk publish → Redis Streams → bus subscriber; matched by (deviceId, boot, seq)");
        Report.Line($"  measured once the bus delivered fresh telemetry (under 1 s old), {settled:0} s after the devices were online (limit 60 s); the bus subscriber takes telemetry by bulk subscription, as statistics does ({BusRecorder.TelemetryBatchSize} per batch, {BusRecorder.TelemetryBatchWaitMs} ms wait)");
        meter = ProcessMeter.Start();
        var result = await phase.RunAsync(options.Seconds, ct);
        var usage = await meter.StopAsync();
        if (result.Forwarded == 0) throw new InvalidOperationException("the watcher saw no telemetry: the simulators publish none");
        Report.Line($"  forwarded by the broker {result.Forwarded:#,0} ({result.Forwarded / result.Seconds:#,0}/s), delivered on the bus during the stretch {result.DeliveredInWindow:#,0} ({result.DeliveredPerSecond:#,0}/s)");
        Report.Line($"  of those forwarded: delivered {result.Matched:#,0} (and {result.MatchedAhead:#,0} before the watcher saw them, without a latency), not delivered {result.Missing:#,0}; the service counted {result.Accepted:#,0} published, {result.Dropped:#,0} dropped and {result.Rejected:#,0} rejected; the subscriber could not read {platform.Recorder.UnreadableTelemetry:#,0} entries");
        Report.Line($"  broker → bus {Report.Ms(result.Latency)}");
        Report.Line($"    broker → service handler {Report.Ms(result.ToService)}; service handler → bus subscriber {Report.Ms(result.ToBus)}");
        Report.Processes(usage, meter.Seconds, result.Matched, "reading");
        problemsSeen = Report.PrintProblemsSince(platform.Runtime, problemsSeen);
        report.Aim("Telemetry: 10,000 msg/s from 10,000 devices", Report.Text($"{result.DeliveredPerSecond:#,0} msg/s from {options.Devices:#,0}"),
            result.DeliveredPerSecond >= 10_000 && options.Devices >= 10_000);
        report.Aim("Telemetry: p99 < 50 ms (broker → bus)",
            result.Latency.Count == 0 ? "none of the forwarded delivered" : Report.Text($"p99 {result.Latency.P99:0.0} ms"), result.Latency.P99 < 50);
        report.Aim("Telemetry: delivered vs forwarded (no aim)", Report.Text($"{result.Matched + result.MatchedAhead:#,0}/{result.Forwarded:#,0}, {result.Dropped:#,0} dropped"), null);
    }

    if (observations.WatcherReconnects > 0)
        Report.Line($"The watcher lost its broker connection {observations.WatcherReconnects} times and connected again (messages forwarded meanwhile are not measured).");
    report.Summary();
    Console.WriteLine();
    Report.Line($"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"Benchmark setup failed: {e.GetType().Name}: {e.Message}");
    Console.Error.WriteLine(string.Join('\n', (e.StackTrace ?? "").Split('\n').Take(8)));
    if (platform is not null) Console.Error.WriteLine($"Last lines of dapr-local:\n{string.Join('\n', platform.Runtime.Output.Split('\n').TakeLast(30))}");
    return 1;
}
finally
{
    if (platform is not null) await platform.DisposeAsync();
}

static void PrintStates(StateResult result, BusRecorder recorder)
{
    Report.Line($"  published {result.Sent:#,0} ({result.Sent / result.Seconds:#,0}/s, {result.Failed:#,0} failed, {result.Reconnects:#,0} reconnects), state events delivered while publishing {result.EventsInWindow:#,0} ({result.DeliveredPerSecond:#,0}/s)");
    Report.Line($"  state → device-events {Report.Ms(result.Latency)}; {result.MatchedAhead:#,0} delivered before the watcher saw their state (no latency); {result.Unmatched:#,0} forwarded states without an event after a {result.DrainSeconds:0.0} s wait; the subscriber could not read {recorder.UnreadableDeviceEvents:#,0} device-events entries");
    Report.Line($"    broker → actor publishes the event {Report.Ms(result.ToEvent)}; publish → bus subscriber {Report.Ms(result.ToBus)}");
    Report.Line($"  twins read after the wait: {result.Behind:#,0} did not report the last state published to their device");
}

// Mosquitto holds one descriptor per device; the simulators are split below their own limit by Fleet.
static void CheckOpenFiles(BenchmarkOptions options)
{
    foreach (var pid in ProcessMeter.Pids("mosquitto"))
    {
        var limit = ProcessMeter.OpenFilesLimit(pid);
        if (limit < options.Devices + options.StateDevices + 100)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"mosquitto may open {limit} files, too few for {options.Devices} devices"));
    }
}
