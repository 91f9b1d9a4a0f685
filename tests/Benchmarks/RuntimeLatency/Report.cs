using System.Globalization;

namespace DaprIoT.Benchmarks.RuntimeLatency;

public static class Report
{
    public static void Print(string hop, LatencySample sample, LatencySample? baseline = null)
    {
        var added = baseline is null ? "" : string.Create(CultureInfo.InvariantCulture,
            $"{sample.Added(baseline).P50,10:+0.000;-0.000} {sample.Added(baseline).P99,10:+0.000;-0.000}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{hop,-38} {sample.P50,8:0.000} {sample.P99,8:0.000} {added}"));
    }
}
