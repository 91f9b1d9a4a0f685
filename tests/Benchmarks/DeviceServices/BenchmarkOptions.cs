using System.Globalization;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <param name="Devices">Simulated light bulbs online for the whole run (firmware host build).</param>
/// <param name="Seconds">How long each measured stretch lasts.</param>
/// <param name="Phases">Which phases run, in the order they are given in <see cref="AllPhases"/>.</param>
/// <param name="TelemetryRate">Telemetry messages per second across all devices during the telemetry phase.</param>
/// <param name="BackgroundTelemetryInterval">Each device's telemetry period outside the telemetry phase (it is also the heartbeat).</param>
/// <param name="StateRate">Crafted state changes per second in the state phase.</param>
/// <param name="StateDevices">Devices, besides the simulated ones, whose states the state phase publishes.</param>
/// <param name="StormStateRate">State changes per second kept up while the devices reconnect.</param>
/// <param name="CommandRates">Commands per second, one stretch each.</param>
/// <param name="ProvisionConcurrency">Provision calls in flight at once.</param>
public sealed record BenchmarkOptions(
    int Devices,
    TimeSpan Seconds,
    IReadOnlySet<string> Phases,
    int TelemetryRate,
    int BackgroundTelemetryInterval,
    int StateRate,
    int StateDevices,
    int StormStateRate,
    IReadOnlyList<int> CommandRates,
    int ProvisionConcurrency)
{
    public static readonly string[] AllPhases = ["memory", "commands", "state", "storm", "telemetry"];

    public const string Usage =
        "options: --devices N (10000), --seconds S per measured stretch (20), --phase memory|commands|state|storm|telemetry|all, " +
        "comma-separated (all), --rate telemetry msg/s (= devices), --background-interval MS telemetry period outside the telemetry phase (20000), " +
        "--state-rate N (2000), --state-devices N (1000), --storm-state-rate N (200), --command-rates N,N (100,1000), --provision-concurrency N (200)";

    public bool Runs(string phase) => Phases.Contains(phase);

    public static BenchmarkOptions Parse(string[] args)
    {
        var devices = 10_000;
        int? rate = null;
        var seconds = 20.0;
        var phases = "all";
        var background = 20_000;
        var stateRate = 2_000;
        var stateDevices = 1_000;
        var stormStateRate = 200;
        var commandRates = "100,1000";
        var provisionConcurrency = 200;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value; {Usage}");
            switch (args[i])
            {
                case "--devices": devices = Int(value); break;
                case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--phase": phases = value; break;
                case "--rate": rate = Int(value); break;
                case "--background-interval": background = Int(value); break;
                case "--state-rate": stateRate = Int(value); break;
                case "--state-devices": stateDevices = Int(value); break;
                case "--storm-state-rate": stormStateRate = Int(value); break;
                case "--command-rates": commandRates = value; break;
                case "--provision-concurrency": provisionConcurrency = Int(value); break;
                default: throw new ArgumentException($"Unknown option {args[i]}; {Usage}");
            }
            i++;
        }

        var selected = phases == "all" ? AllPhases.ToHashSet() : phases.Split(',').ToHashSet();
        if (selected.Any(p => !AllPhases.Contains(p))) throw new ArgumentException($"Unknown phase in '{phases}'; {Usage}");
        var rates = commandRates.Split(',').Select(Int).ToList();
        if (devices < 1 || seconds is <= 0 or > 3600 || stateDevices < 1 || provisionConcurrency is < 1 or > 1000
            || rates.Any(r => r < 1) || stateRate < 1 || stormStateRate < 0 || background < 100) throw new ArgumentException(Usage);
        return new BenchmarkOptions(devices, TimeSpan.FromSeconds(seconds), selected, rate ?? devices, background,
            stateRate, stateDevices, stormStateRate, rates, provisionConcurrency);
    }

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
