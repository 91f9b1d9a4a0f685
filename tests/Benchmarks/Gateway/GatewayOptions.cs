using System.Globalization;

namespace DaprIoT.Benchmarks.Gateway;

/// <param name="Connections">Authenticated hub connections held, one user each.</param>
/// <param name="Devices">Light bulbs added through the API and driven over MQTT in the latency phase.</param>
/// <param name="GatewayDevices">Devices whose events the gateway phase publishes straight onto the bus.</param>
/// <param name="Seconds">How long each measured stretch lasts.</param>
/// <param name="Bus">The bus the platform runs on.</param>
/// <param name="Phases">Which phases run: connections, gateway, latency.</param>
/// <param name="Rates">Messages per second, one stretch each, in the gateway and latency phases.</param>
/// <param name="ConnectConcurrency">Hub connections being opened at once.</param>
/// <param name="Settle">Wait before reading memory, after the connections are up.</param>
public sealed record GatewayOptions(
    int Connections,
    int Devices,
    int GatewayDevices,
    TimeSpan Seconds,
    Bus Bus,
    IReadOnlySet<string> Phases,
    IReadOnlyList<int> Rates,
    int ConnectConcurrency,
    TimeSpan Settle)
{
    public static readonly string[] AllPhases = ["connections", "gateway", "latency"];

    public const string Usage =
        "options: --connections N (18000), --devices N light bulbs for the latency phase (500), --gateway-devices N (connections, at most 10000), " +
        "--seconds S per measured stretch (20), --bus redis|rabbitmq (redis), --phase connections|gateway|latency|all, comma-separated (all), " +
        "--rates N,N msg/s (1000,10000), --connect-concurrency N (100), --settle S before memory is read (15)";

    public bool Runs(string phase) => Phases.Contains(phase);

    public static GatewayOptions Parse(string[] args)
    {
        var connections = 18_000;
        var devices = 500;
        int? gatewayDevices = null;
        var seconds = 20.0;
        var bus = "redis";
        var phases = "all";
        var rates = "1000,10000";
        var concurrency = 100;
        var settle = 15.0;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value; {Usage}");
            switch (args[i])
            {
                case "--connections": connections = Int(value); break;
                case "--devices": devices = Int(value); break;
                case "--gateway-devices": gatewayDevices = Int(value); break;
                case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--bus": bus = value; break;
                case "--phase": phases = value; break;
                case "--rates": rates = value; break;
                case "--connect-concurrency": concurrency = Int(value); break;
                case "--settle": settle = double.Parse(value, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown option {args[i]}; {Usage}");
            }
            i++;
        }

        var selected = phases == "all" ? AllPhases.ToHashSet() : phases.Split(',').ToHashSet();
        if (selected.Any(p => !AllPhases.Contains(p))) throw new ArgumentException($"Unknown phase in '{phases}'; {Usage}");
        var parsedRates = rates.Split(',').Select(Int).ToList();
        var parsedBus = bus switch { "redis" => Bus.Redis, "rabbitmq" => Bus.RabbitMQ, _ => throw new ArgumentException($"Unknown bus '{bus}'; {Usage}") };
        var gateway = gatewayDevices ?? Math.Min(connections, 10_000);
        if (connections < 1 || devices < 1 || gateway < 1 || seconds is <= 0 or > 3600 || parsedRates.Any(r => r < 1) || concurrency is < 1 or > 2000 || settle < 0)
            throw new ArgumentException(Usage);
        return new GatewayOptions(connections, devices, gateway, TimeSpan.FromSeconds(seconds), parsedBus, selected, parsedRates, concurrency, TimeSpan.FromSeconds(settle));
    }

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
