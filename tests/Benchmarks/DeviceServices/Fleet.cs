using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceServices.Tests.Platform;
using DaprIoT.TestSupport;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <summary>
/// The simulated light bulbs <c>bulb-1…bulb-N</c>: provisioned through their actors, run by the firmware's host build
/// in as many processes as the open-file limit needs (one socket per device), and their presence as the
/// <c>device-events</c> tell it.
/// </summary>
public sealed class Fleet
{
    public const string Prefix = "bulb-";

    /// <summary>Devices per simulator process at most: descriptors for the devices, and some to spare.</summary>
    private const int MaxPerProcess = 5_000;

    private readonly DevicePlatform _platform;
    private readonly BenchmarkOptions _options;
    private readonly ConcurrentDictionary<string, (PresenceState Status, long Epoch, long Version)> _presence = new();
    private readonly List<FirmwareSimulator> _simulators = [];

    public Fleet(DevicePlatform platform, Observations observations, BenchmarkOptions options)
    {
        _platform = platform;
        _options = options;
        observations.DeviceEvent += (e, _) =>
        {
            if (!e.DeviceId.StartsWith(Prefix, StringComparison.Ordinal)) return;
            var seen = (e.Twin.Presence.Status, e.Twin.Presence.Epoch, e.Version);
            _presence.AddOrUpdate(e.DeviceId, seen, (_, known) => known.Version >= e.Version ? known : seen);
        };
    }

    public IReadOnlyDictionary<string, string> Credentials { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyList<string> DeviceIds => Credentials.Keys.ToList();

    /// <summary>The boot counter the running simulators were started with.</summary>
    public uint Boot { get; private set; }

    /// <summary>The connection epoch of each device as its newest event shows it.</summary>
    public long EpochOf(string deviceId) => _presence.TryGetValue(deviceId, out var p) ? p.Epoch : 0;

    public int Online => _presence.Count(p => p.Value.Status == PresenceState.Online);

    /// <summary>
    /// Provisions <c>{prefix}{first}…{prefix}{last}</c> for one owner, <see cref="BenchmarkOptions.ProvisionConcurrency"/>
    /// calls in flight (the service gathers the broker logins of concurrent calls into shared control messages). Returns
    /// id → password, the seconds it took and how many calls failed and were made again.
    /// </summary>
    public static async Task<(Dictionary<string, string> Credentials, double Seconds, int Retries)> ProvisionAsync(DevicePlatform platform, string prefix,
        int first, int last, int concurrency, CancellationToken cancellationToken)
    {
        var credentials = new ConcurrentDictionary<string, string>();
        var retries = 0;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(first, last - first + 1), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (n, _) =>
            {
                var id = prefix + n.ToString(CultureInfo.InvariantCulture);
                ProvisionResult result;
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        result = await platform.LightBulb(id).Provision(new ProvisionRequest("bench", $"bulb {n}"));
                        break;
                    }
                    catch (Exception e) when (attempt < 3 && e is not OperationCanceledException)
                    {
                        // The broker took too long over a control message (the service's publish timed out): provisioning
                        // is repeatable (the login is replaced), so try again, and count it.
                        Interlocked.Increment(ref retries);
                    }
                }

                if (!result.Ok) throw new InvalidOperationException($"provisioning {id} failed: {string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}"))}");
                credentials[id] = result.Password!;
            });
        return (new Dictionary<string, string>(credentials), clock.Elapsed.TotalSeconds, retries);
    }

    /// <summary>Provisions bulbs <paramref name="first"/>…<paramref name="last"/> and adds them to the fleet.</summary>
    public async Task<(double Seconds, int Retries)> ProvisionAsync(int first, int last, CancellationToken cancellationToken)
    {
        var (credentials, seconds, retries) = await ProvisionAsync(_platform, Prefix, first, last, _options.ProvisionConcurrency, cancellationToken);
        Credentials = new Dictionary<string, string>(Credentials.Concat(credentials));
        return (seconds, retries);
    }

    /// <summary>
    /// Starts the simulators of the whole fleet with a new boot counter: telemetry at <paramref name="telemetryRate"/>
    /// msg/s in total, or every device at the background interval when null.
    /// </summary>
    public Task StartAsync(int? telemetryRate, CancellationToken cancellationToken) =>
        StartAsync(1, Credentials.Count, telemetryRate, cancellationToken);

    /// <summary>
    /// Starts simulators for bulbs <paramref name="first"/>…<paramref name="last"/> with a new boot counter, beside any
    /// already running; <paramref name="telemetryRate"/> is the whole fleet's, shared by device.
    /// </summary>
    public async Task StartAsync(int first, int last, int? telemetryRate, CancellationToken cancellationToken)
    {
        var devices = last - first + 1;
        var processes = (devices + MaxPerProcess - 1) / MaxPerProcess;
        var perProcess = (devices + processes - 1) / processes;
        // Each device holds one socket in the simulator, which inherits this process's limit.
        if (ProcessMeter.OpenFilesLimit(Environment.ProcessId) < perProcess + 100)
            throw new InvalidOperationException($"{perProcess} devices per simulator need more open files than `ulimit -n` allows ({ProcessMeter.OpenFilesLimit(Environment.ProcessId)})");
        Boot = Boot == 0 ? (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds() : Boot + 1;
        for (var p = 0; p < processes; p++)
        {
            var from = first + p * perProcess;
            var count = Math.Min(perProcess, last - from + 1);
            var mine = Enumerable.Range(from, count).Select(n => Prefix + n.ToString(CultureInfo.InvariantCulture)).ToDictionary(id => id, id => Credentials[id]);
            string[] load = telemetryRate is { } rate
                ? ["--rate", Math.Max(1, rate * count / _options.Devices).ToString(CultureInfo.InvariantCulture)]
                : ["--telemetry-interval", _options.BackgroundTelemetryInterval.ToString(CultureInfo.InvariantCulture)];
            _simulators.Add(await _platform.StartDevicesAsync("lightbulb", Prefix, mine, cancellationToken,
                ["--first", from.ToString(CultureInfo.InvariantCulture), "--boot", Boot.ToString(CultureInfo.InvariantCulture), .. load]));
        }
    }

    /// <summary>Kills every simulator process (SIGKILL): the broker publishes each device's last will.</summary>
    public async Task KillAsync()
    {
        foreach (var simulator in _simulators) await simulator.KillAsync();
        _simulators.Clear();
    }

    /// <summary>Waits until every device's newest event shows it online; a setup error after <paramref name="within"/>.</summary>
    public Task<double> WaitAllOnlineAsync(TimeSpan within, CancellationToken cancellationToken) =>
        WaitOnlineAsync(Credentials.Count, within, cancellationToken);

    /// <summary>Waits until <paramref name="devices"/> devices' newest events show them online; a setup error after <paramref name="within"/>.</summary>
    public async Task<double> WaitOnlineAsync(int devices, TimeSpan within, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (Online < devices)
        {
            if (clock.Elapsed > within)
                throw new TimeoutException($"only {Online:#,0} of {devices:#,0} devices online after {within.TotalSeconds:0} s; simulator log:\n{SimulatorLog()}");
            await Task.Delay(100, cancellationToken);
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The first lines each simulator printed (errors such as refused logins).</summary>
    public string SimulatorLog() => string.Join('\n', _simulators.Select(s => string.Join('\n', s.Log.Split('\n').Take(20))));
}
