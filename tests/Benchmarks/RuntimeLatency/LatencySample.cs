namespace DaprIoT.Benchmarks.RuntimeLatency;

/// <summary>Latencies of one kind of call, in milliseconds.</summary>
public sealed class LatencySample(IEnumerable<double> milliseconds)
{
    private readonly double[] _sorted = milliseconds.Order().ToArray();

    public int Count => _sorted.Length;

    /// <summary>NaN when nothing was measured.</summary>
    public double P50 => Percentile(0.50);

    /// <summary>NaN when nothing was measured.</summary>
    public double P99 => Percentile(0.99);

    public (double P50, double P99) Added(LatencySample baseline) => (P50 - baseline.P50, P99 - baseline.P99);

    private double Percentile(double p) =>
        _sorted.Length == 0 ? double.NaN : _sorted[Math.Clamp((int)Math.Ceiling(p * _sorted.Length) - 1, 0, _sorted.Length - 1)];
}
