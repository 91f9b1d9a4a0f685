namespace DaprIoT.Statistics.Rollups;

/// <summary>One bucket of a chart series: its start, how many readings fell in it, and their min, max and mean.</summary>
public sealed record SeriesPoint(DateTimeOffset At, long Count, double Min, double Max, double Avg);
