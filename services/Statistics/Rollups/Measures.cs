using DaprIoT.Contracts.Events;

namespace DaprIoT.Statistics.Rollups;

/// <summary>The measures a reading carries, by the names the series API uses.</summary>
public static class Measures
{
    public const string PowerMw = "powerMw";
    public const string WaterTempC = "waterTempC";

    /// <summary>Heating as 1 (on) or 0 (off): a bucket's average is the share of readings with the heater on.</summary>
    public const string Heating = "heating";

    public static IEnumerable<(string Name, double Value)> Of(TelemetryReading reading)
    {
        if (reading.PowerMw is { } power) yield return (PowerMw, power);
        if (reading.WaterTempC is { } temperature) yield return (WaterTempC, (double)temperature);
        if (reading.Heating is { } heating) yield return (Heating, heating ? 1 : 0);
    }
}
