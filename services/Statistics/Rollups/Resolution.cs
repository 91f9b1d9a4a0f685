namespace DaprIoT.Statistics.Rollups;

/// <summary>The bucket size of a series: minute buckets (kept 24 h) or hour buckets (kept 30 days).</summary>
public enum Resolution
{
    Minute,
    Hour,
}
