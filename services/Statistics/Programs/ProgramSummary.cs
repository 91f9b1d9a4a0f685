namespace DaprIoT.Statistics.Programs;

/// <summary>
/// A program with what the cooker measured while it ran: per measure (<c>waterTempC</c>, <c>heating</c>: the share of
/// readings with the heater on) count, min, max and mean, from <see cref="Resolution"/> buckets.
/// </summary>
public sealed record ProgramSummary(ProgramRun Program, string Resolution, IReadOnlyDictionary<string, MeasureSummary> Measures);
