using DaprIoT.Statistics.Rollups;

namespace DaprIoT.Statistics.Programs;

/// <summary>The figures of one measure over a program.</summary>
public sealed record MeasureSummary(long Count, double Min, double Max, double Avg)
{
    public static MeasureSummary Of(MeasureStats stats) => new(stats.Count, stats.Min, stats.Max, stats.Average);
}
