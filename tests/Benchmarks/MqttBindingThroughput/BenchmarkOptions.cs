using System.Globalization;

namespace DaprIoT.Benchmarks.MqttBindingThroughput;

/// <param name="DeliveryQos">QoS at which the binding receives the telemetry. The devices publish it at QoS 0, which
/// MQTT never upgrades; 1 sets mosquitto's <c>upgrade_outgoing_qos</c> so every message is delivered at the binding's
/// subscription QoS 1 and acknowledged only after the app answered.</param>
/// <param name="ConnectRate">devices connecting per second; the simulator's default of 2000 overwhelms a busy 2-core machine.</param>
public sealed record BenchmarkOptions(int Devices, int Rate, int Seconds, int DeliveryQos, int ConnectRate, string SimulatorPath, string RuntimePath)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var devices = 10_000;
        var rate = 20_000;
        var seconds = 30;
        var qos = 1;
        var connectRate = 1000;
        var simulator = Path.GetFullPath(Path.Combine(RepositoryRoot(), "firmware", "build", "ports", "host", "dapriot-devices"));
        var runtime = Path.Combine(AppContext.BaseDirectory, "dapr-local.dll");
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--devices": devices = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rate": rate = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--delivery-qos": qos = value is "0" or "1" ? int.Parse(value, CultureInfo.InvariantCulture) : throw new ArgumentException("--delivery-qos is 0 or 1"); break;
                case "--connect-rate": connectRate = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--simulator": simulator = value; break;
                case "--runtime": runtime = value; break;
                default:
                    throw new ArgumentException(
                        $"Unknown option {args[i]}; use --devices N, --rate MSG_PER_S, --seconds S, --delivery-qos 0|1, --connect-rate N, --simulator path/to/dapriot-devices, --runtime path/to/dapr-local.dll");
            }
            i++;
        }
        if (!File.Exists(simulator))
            throw new FileNotFoundException(
                $"The device simulator was not found at {simulator}; build it with `cmake -S firmware -B firmware/build && cmake --build firmware/build --target dapriot-devices` or pass --simulator", simulator);
        if (!File.Exists(runtime))
            throw new FileNotFoundException($"dapr-local was not found at {runtime}; pass --runtime", runtime);
        return new BenchmarkOptions(devices, rate, seconds, qos, connectRate, simulator, runtime);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DaprIoT.sln"))) return directory.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
