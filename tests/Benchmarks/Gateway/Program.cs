// Measures the device-management gateway on this machine:
//   connections — authenticated SignalR connections (WebSockets, one user and token each) one device-management
//                 process holds, and its memory per connection;
//   gateway     — with them held, device events bulk-published onto the bus → device-management → the owner's
//                 browser, at each rate;
//   latency     — with them held, light bulbs' state messages over MQTT → Mosquitto → lightbulb service and actor →
//                 device-events → device-management → the owner's browser, at each rate;
// each with the CPU and memory of every process, then a summary against the issue's aims.
//   dotnet run -c Release --project tests/Benchmarks/Gateway -- [--connections N] [--devices N] [--seconds S]
//       [--bus redis|rabbitmq] [--phase connections|gateway|latency|all] (GatewayOptions.Usage lists all)
// A setup error ends the run with exit code 1; a missed aim is printed as MISS.
using System.Diagnostics;
using DaprIoT.Benchmarks;
using DaprIoT.Benchmarks.DeviceServices;
using DaprIoT.Benchmarks.Gateway;
using DaprIoT.Contracts;

GatewayOptions options;
try
{
    options = GatewayOptions.Parse(args);
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
var openFiles = OpenFiles.RaiseToHard();
GatewayPlatform? platform = null;
Browsers? browsers = null;
DeviceLoad? devices = null;
try
{
    Report.Line($"device-management gateway, loopback, {Environment.ProcessorCount} cores, load average {LoadAverage()} at start, bus {options.Bus}");
    Report.Line($"{options.Connections:#,0} hub connections, {options.Seconds.TotalSeconds:0.#} s per measured stretch, rates {string.Join(", ", options.Rates.Select(r => Report.Text($"{r:#,0}")))} msg/s, phases: {string.Join(", ", GatewayOptions.AllPhases.Where(options.Runs))}");
    Report.Line($"open files allowed per process: {openFiles:#,0} (this one and, inherited, dapr-local, device-management and Mosquitto)");
    Report.Line($"Latency runs from just before the publish (MQTT publish call, or bulk publish call) to the hub client's handler receiving the deviceChanged; both stamped with the same monotonic clock in this process.");
    if (options.Connections + 1_000 > openFiles)
        throw new InvalidOperationException($"{options.Connections:#,0} connections need more than {openFiles:#,0} open files in this process");

    platform = await GatewayPlatform.StartAsync(options.Bus, ct);
    var gatewayPid = await platform.PidAsync(AppIds.DeviceManagement, ct);
    Report.Line($"device-management (pid {gatewayPid}) may open {ProcessMeterLimits(gatewayPid):#,0} files");

    // Connections: the idle process first, then with every connection held and settled.
    await Task.Delay(TimeSpan.FromSeconds(5), ct);
    var idle = await MemoryAsync(platform, gatewayPid, ct);
    var benchmarkIdleKb = ProcessMeter.RssKb(Environment.ProcessId);
    browsers = new Browsers(platform.GatewayUrl, platform.Token);
    var meter = ProcessMeter.Start();
    var clock = Stopwatch.StartNew();
    var failures = await browsers.ConnectAsync(options.Connections, options.ConnectConcurrency, ct);
    var connectSeconds = clock.Elapsed.TotalSeconds;
    var connectUsage = await meter.StopAsync();
    meter = ProcessMeter.Start();
    await Task.Delay(options.Settle, ct);
    var held = await MemoryAsync(platform, gatewayPid, ct);
    var heldUsage = await meter.StopAsync();
    var benchmarkHeldKb = ProcessMeter.RssKb(Environment.ProcessId);
    var rssPerConnection = (held.RssKb - idle.RssKb) / (double)Math.Max(1, browsers.Held);
    if (options.Runs("connections"))
    {
        Report.Heading(Report.Text($"Connections: {options.Connections:#,0} authenticated hub connections to one device-management"));
        Report.Line($"  WebSockets, skipNegotiation, each with its own user's ES256 access token; held = snapshot received; {options.ConnectConcurrency} opening at once");
        Report.Line($"  held {browsers.Held:#,0} of {options.Connections:#,0} after {connectSeconds:0.0} s ({browsers.Held / connectSeconds:#,0}/s); failed {failures.Values.Sum():#,0}");
        foreach (var (reason, count) in failures.OrderByDescending(f => f.Value).Take(5)) Report.Line($"    {count:#,0} × {reason}");
        Report.Line($"  device-management open files: {held.OpenFiles:#,0} (idle {idle.OpenFiles:#,0})");
        Report.Line($"  opening them:");
        Report.Processes(connectUsage, connectSeconds, browsers.Held, "connection");
        Report.Line($"  held, {options.Settle.TotalSeconds:0} s later (the server pings every connection every 15 s):");
        Report.Processes(heldUsage, options.Settle.TotalSeconds);
        Report.Line($"  device-management RSS: {idle.RssKb / 1024.0:0.0} MB idle, {held.RssKb / 1024.0:0.0} MB with {browsers.Held:#,0} connections → {rssPerConnection:0.0} KB per connection");
        string heapText;
        if (idle.HeapMb is { } heapIdle && held.HeapMb is { } heapHeld)
        {
            var heapPer = (heapHeld - heapIdle) * 1024 / Math.Max(1, browsers.Held);
            heapText = Report.Text($"{heapPer:0.0} KB managed heap per connection");
            Report.Line($"  device-management managed heap after its last GC (/metrics): {heapIdle:0.0} MB idle, {heapHeld:0.0} MB held → {heapPer:0.0} KB per connection");
        }
        else heapText = "managed heap not exported";
        Report.Line($"  client side (this process): {(benchmarkHeldKb - benchmarkIdleKb) / (double)Math.Max(1, browsers.Held):0.0} KB RSS per connection");
        report.Aim("Connections: 18,000 held by one process", Report.Text($"{browsers.Held:#,0} held, {failures.Values.Sum():#,0} failed"),
            browsers.Held >= 18_000 && failures.Count == 0);
        report.Aim("Connections: ≤ 32 KB each", Report.Text($"{rssPerConnection:0.0} KB RSS each ({browsers.Held:#,0})"), rssPerConnection <= 32 && browsers.Held >= 18_000);
        report.Aim("  managed heap per connection (no aim)", heapText, null);
    }

    if (browsers.Held == 0) throw new InvalidOperationException($"no hub connection was held: {failures.Keys.FirstOrDefault()}");

    // The devices are added before any load, while the platform is idle.
    var owners = Math.Min(browsers.Held, options.Devices);
    if (options.Runs("latency"))
    {
        Report.Heading(Report.Text($"Devices → browsers: {options.Devices:#,0} light bulbs added by their users"));
        meter = ProcessMeter.Start();
        (devices, var provisionSeconds) = await DeviceLoad.ProvisionAsync(platform, options.Devices, browsers.Held, 50, ct);
        var provisionUsage = await meter.StopAsync();
        Report.Line($"  added through POST /api/devices in {provisionSeconds:0.0} s ({options.Devices / provisionSeconds:#,0}/s), device i by user i mod {browsers.Held:#,0}");
        Report.Processes(provisionUsage, meter.Seconds, options.Devices, "device added");
    }

    var users = Math.Min(browsers.Held, options.GatewayDevices);
    using var publisher = platform.Publisher();
    var gateway = new GatewayLoad(publisher, options.GatewayDevices, users);
    // Lowest rate first, each rate through the gateway alone and then end to end: an overloaded stretch leaves a
    // backlog on the bus (the read model's subscription keeps every event until it has applied it) that a later
    // stretch would otherwise be measured behind.
    foreach (var rate in options.Rates)
    {
        if (options.Runs("gateway"))
        {
            Report.Heading(Report.Text($"Gateway alone: {rate:#,0} device events/s → {users:#,0} connected browsers"));
            Report.Line($"  DeviceEvent bulk-published on device-events (pubsub) from a sidecar → broadcast subscription → coalescer → owner's connection");
            Report.Line($"  {options.GatewayDevices:#,0} devices, device i owned by user i mod {users:#,0}; warm-up not counted, then {options.Seconds.TotalSeconds:0} s measured; {browsers.Held - browsers.Closed:#,0} connections open");
            var problemsBefore = platform.Runtime.LoggedProblems().Count;
            var result = await MeasureAsync(browsers, gateway.DeviceIndex, GatewayLoad.ValueOf,
                (d, duration) => gateway.RunAsync(rate, duration, d, ct), options.Seconds, ct);
            Report.Line($"  bulk publishes failed: {gateway.FailedBatches:#,0}{(gateway.FirstError is { } error ? $" ({error})" : "")}");
            Report.PrintProblemsSince(platform.Runtime, problemsBefore);
            Print(report, Report.Text($"Gateway {rate:#,0} msg/s"), rate, users, result);
        }

        if (devices is not null)
        {
            Report.Heading(Report.Text($"Devices → browsers: {rate:#,0} state msg/s from {options.Devices:#,0} devices to {owners:#,0} owners' connections"));
            Report.Line($"  state (QoS 1, next seq, admin login) → Mosquitto → lightbulb MQTT binding → actor → device-events → broadcast subscription → owner's connection");
            Report.Line($"  warm-up not counted, then {options.Seconds.TotalSeconds:0} s measured; {browsers.Held - browsers.Closed:#,0} connections open");
            var failedBefore = devices.Failed;
            var problemsBefore = platform.Runtime.LoggedProblems().Count;
            var result = await MeasureAsync(browsers, devices.DeviceIndex, DeviceLoad.ValueOf,
                (d, duration) => devices.RunAsync(rate, duration, d, ct), options.Seconds, ct);
            Report.Line($"  MQTT publishes failed: {devices.Failed - failedBefore:#,0}, publisher reconnects {devices.Reconnects:#,0}");
            Report.PrintProblemsSince(platform.Runtime, problemsBefore);
            Print(report, Report.Text($"Devices {rate:#,0} msg/s"), rate, owners, result);
        }
    }

    Report.Line($"");
    Report.Line($"hub connections closed after they were held (by the server, or by the client when the server's pings stopped for 30 s): {browsers.Closed:#,0} of {browsers.Held:#,0}");
    if (browsers.FirstCloseReason is { } why) Report.Line($"  the first: {why}");
    report.Summary();
    Console.WriteLine();
    Report.Line($"load average {LoadAverage()} at the end");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"Benchmark failed: {e.GetType().Name}: {e.Message}");
    if (platform is not null) Console.Error.WriteLine($"Last lines of dapr-local:\n{string.Join('\n', platform.Runtime.Output.Split('\n').TakeLast(30))}");
    return 1;
}
finally
{
    if (devices is not null) await devices.DisposeAsync();
    if (browsers is not null) await browsers.DisposeAsync();
    if (platform is not null) await platform.DisposeAsync();
}

static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

static long ProcessMeterLimits(int pid)
{
    var line = File.ReadLines($"/proc/{pid}/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
    var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
    return soft == "unlimited" ? long.MaxValue : long.Parse(soft, System.Globalization.CultureInfo.InvariantCulture);
}

// Read after a collection induced in device-management, so neither reading counts garbage not yet collected.
static async Task<(long RssKb, double? HeapMb, int OpenFiles)> MemoryAsync(GatewayPlatform platform, int pid, CancellationToken ct)
{
    var collected = await InducedCollection.RunAsync(pid, ct);
    return (ProcessMeter.RssKb(pid), collected ? await platform.GatewayHeapMbAsync(ct) : null, OpenFiles.Open(pid));
}

// One stretch: a warm-up that is not counted, then the measured publishing, then a wait for the stragglers.
static async Task<Stretch> MeasureAsync(Browsers browsers, IReadOnlyDictionary<string, int> index, Func<DaprIoT.Contracts.Events.DeviceEvent, long?> valueOf,
    Func<Deliveries?, TimeSpan, Task<double>> run, TimeSpan seconds, CancellationToken ct)
{
    // Backlogs of the stretch before (the read model's subscription, the device services' MQTT queue) worked off first.
    string[] platformProcesses = ["device-management", "dapr-local", "lightbulb", "redis-server"];
    var quiet = await ProcessMeter.QuietAsync(platformProcesses, ct);
    Report.Line($"  waited {quiet:0} s for the platform to be idle (under 0.5 cores) first");
    Report.Line($"  {await WarmUp.RunAsync(duration => run(null, duration), platformProcesses, ct)}");
    var deliveries = new Deliveries(index, valueOf);
    browsers.OnChange = deliveries.Received;
    var meter = ProcessMeter.Start();
    var start = Stopwatch.GetTimestamp();
    var ran = await run(deliveries, seconds);
    var usage = await meter.StopAsync();
    var load = LoadAverage();
    // An entry whose delivery failed under load is delivered again once it has been pending for the component's
    // processingTimeout (15 s), checked every redeliverInterval (5 s): only after that long without progress is a
    // message counted as not delivered.
    var drained = await deliveries.DrainAsync(TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(90), ct);
    browsers.OnChange = null;
    return new Stretch(ran, deliveries, deliveries.Latency(), deliveries.WorstStep(start, TimeSpan.FromSeconds(10), seconds), usage, meter.Seconds, drained, load);
}

static void Print(Report report, string name, int rate, int browsersReached, Stretch s)
{
    var d = s.Deliveries;
    Report.Line($"  published {d.Published:#,0} in {s.Seconds:0.0} s ({d.Published / s.Seconds:#,0}/s)");
    Report.Line($"  delivered {d.Delivered:#,0}/{d.Published:#,0} expected; superseded by a newer state of the same device inside the coalescing window {d.Superseded:#,0}; not delivered {d.Outstanding:#,0} (after waiting {s.Drained:0.0} s)");
    Report.Line($"  publish → browser {Report.Ms(s.Latency)}");
    if (s.Worst is { } w) Report.Line($"  worst 10-s step (by publish time): #{w.Step + 1}, p99 {w.P99:0.0} ms over {w.Count:#,0}");
    Report.Line($"  load average {s.LoadAverage} at the end of the stretch");
    Report.Processes(s.Usage, s.MeterSeconds, d.Delivered, "delivery");
    var everyDelivered = d.Outstanding == 0;
    var delivered = Report.Text($"{d.Delivered:#,0}/{d.Published:#,0} (+{d.Superseded:#,0} superseded)");
    if (rate <= 1_000)
    {
        report.Aim(Report.Text($"{name}: p50 ≤ 1 ms"), Report.Text($"p50 {s.Latency.P50:0.0} ms"), s.Latency.P50 <= 1);
        report.Aim(Report.Text($"{name}: p99 ≤ 5 ms"), Report.Text($"p99 {s.Latency.P99:0.0} ms"), s.Latency.P99 <= 5);
    }
    else
    {
        report.Aim(Report.Text($"{name}: p99 < 50 ms ({browsersReached:#,0} browsers)"), Report.Text($"p99 {s.Latency.P99:0.0} ms"),
            s.Latency.P99 < 50 && browsersReached >= 10_000);
        report.Aim(Report.Text($"{name}: no 10-s step over 50 ms"), s.Worst is { } worst ? Report.Text($"worst step p99 {worst.P99:0.0} ms") : "none measured",
            s.Worst is { P99: < 50 });
        report.Aim(Report.Text($"{name}: rate sustained"), Report.Text($"{d.Delivered / s.Seconds:#,0}/s delivered"), d.Delivered + d.Superseded >= 0.99 * rate * s.Seconds);
    }

    report.Aim(Report.Text($"{name}: every message delivered"), delivered, everyDelivered);
}

sealed record Stretch(double Seconds, Deliveries Deliveries, DaprIoT.Benchmarks.RuntimeLatency.LatencySample Latency,
    (int Step, double P99, int Count)? Worst, IReadOnlyDictionary<string, (double CpuSeconds, double PeakMb)> Usage, double MeterSeconds, double Drained, string LoadAverage);
