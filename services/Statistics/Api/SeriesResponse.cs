using DaprIoT.Statistics.Rollups;

namespace DaprIoT.Statistics.Api;

/// <summary>A device's chart series: per measure (<c>powerMw</c>, <c>waterTempC</c>, <c>heating</c>), its buckets oldest first.</summary>
public sealed record SeriesResponse(
    string DeviceId,
    string Resolution,
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyDictionary<string, IReadOnlyList<SeriesPoint>> Measures);
