using System.Globalization;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <summary>
/// The lightbulb service's memory: resident set from /proc, and the managed heap the service exports with its
/// runtime metrics (<c>/metrics</c>: the heap size after the last garbage collection, summed over generations), read
/// after a full collection induced through the diagnostics port so the heap is what is live.
/// </summary>
public sealed record ServiceMemory(double RssMb, double? HeapMb, string HeapMetric)
{
    private static readonly string[] HeapMetrics = ["dotnet_gc_last_collection_heap_size_bytes", "process_runtime_dotnet_gc_heap_size_bytes"];

    public static async Task<ServiceMemory> ReadAsync(DevicePlatform platform, CancellationToken cancellationToken)
    {
        var pid = await platform.Runtime.AppPidAsync("lightbulb", cancellationToken: cancellationToken);
        var collected = await InducedCollection.RunAsync(pid, cancellationToken);
        var rss = ProcessMeter.RssKb(pid) / 1024.0;
        var text = await platform.Runtime.Client.GetStringAsync(
            $"http://127.0.0.1:{platform.LightBulbPort.ToString(CultureInfo.InvariantCulture)}/metrics", cancellationToken);
        foreach (var metric in HeapMetrics)
        {
            var lines = text.Split('\n').Where(l => l.StartsWith(metric, StringComparison.Ordinal) && l.Length > metric.Length && l[metric.Length] is '{' or ' ').ToList();
            if (lines.Count > 0)
                return new ServiceMemory(rss, lines.Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)) / 1024 / 1024,
                    collected ? metric : $"{metric}, no collection induced: the diagnostics port did not answer");
        }

        return new ServiceMemory(rss, null, "(no managed heap metric exported)");
    }
}
