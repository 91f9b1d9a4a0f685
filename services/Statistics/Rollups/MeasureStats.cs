namespace DaprIoT.Statistics.Rollups;

/// <summary>What one bucket knows of one measure: enough to merge buckets and to chart min, max and mean.</summary>
public sealed record MeasureStats(long Count, double Min, double Max, double Sum)
{
    public static MeasureStats Of(double value) => new(1, value, value, value);

    public MeasureStats Add(double value) => new(Count + 1, Math.Min(Min, value), Math.Max(Max, value), Sum + value);

    public double Average => Sum / Count;
}
