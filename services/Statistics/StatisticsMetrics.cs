using System.Diagnostics.Metrics;
using DaprIoT.Statistics.Rollups;

namespace DaprIoT.Statistics;

/// <summary>
/// The statistics service's counters (meter <see cref="MeterName"/>, exported with the service's other metrics): every
/// telemetry reading by what became of it, and how many readings each roll-up entry took or already had.
/// </summary>
public sealed class StatisticsMetrics
{
    public const string MeterName = "DaprIoT.Statistics";

    private readonly Counter<long> _readings;
    private readonly Counter<long> _rollupReadings;

    public StatisticsMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _readings = meter.CreateCounter<long>("dapriot.statistics.readings", "{reading}",
            "Telemetry readings received, by outcome (rolled_up, kept_unknown_device, rejected) and reason");
        _rollupReadings = meter.CreateCounter<long>("dapriot.statistics.rollup.readings", "{reading}",
            "Readings offered to roll-up entries, by resolution and outcome (added, already_applied: delivered again)");
    }

    public void Readings(string outcome, int count, string? reason = null) =>
        _readings.Add(count, new("outcome", outcome), new("reason", reason ?? ""));

    public void RollupReadings(Resolution resolution, int added, int alreadyApplied)
    {
        var name = resolution.ToString().ToLowerInvariant();
        if (added > 0) _rollupReadings.Add(added, new("resolution", name), new("outcome", "added"));
        if (alreadyApplied > 0) _rollupReadings.Add(alreadyApplied, new("resolution", name), new("outcome", "already_applied"));
    }
}
