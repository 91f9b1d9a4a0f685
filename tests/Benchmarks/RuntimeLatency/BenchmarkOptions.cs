using System.Globalization;

namespace DaprIoT.Benchmarks.RuntimeLatency;

public sealed record BenchmarkOptions(int Iterations, int Warmup, IReadOnlyList<string> Buses, string RuntimePath)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var iterations = 2000;
        var buses = new[] { "redis", "rabbitmq" };
        var runtime = Path.Combine(AppContext.BaseDirectory, "dapr-local.dll");
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--iterations": iterations = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--bus": buses = value == "both" ? buses : [value]; i++; break;
                case "--runtime": runtime = value; i++; break;
                default: throw new ArgumentException($"Unknown option {args[i]}; use --iterations N, --bus redis|rabbitmq|both, --runtime path/to/dapr-local.dll");
            }
        }
        return new BenchmarkOptions(iterations, Math.Max(100, iterations / 10), buses, runtime);
    }
}
