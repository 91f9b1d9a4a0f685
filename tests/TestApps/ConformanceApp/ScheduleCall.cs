namespace DaprIoT.ConformanceApp;

/// <summary>Argument of Probe.ScheduleReminder / ScheduleTimer; no or zero period fires once.</summary>
public sealed record ScheduleCall(string Name, int DueTimeMs, int? PeriodMs);
