using DaprIoT.Contracts.Devices;

namespace DaprIoT.Statistics.Programs;

/// <summary>One sous-vide program as the cooker's device events told it (<see cref="ProgramView"/>), keyed by its command id.</summary>
public sealed record ProgramRun(
    string CommandId,
    decimal TargetTempC,
    int DurationS,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    ProgramStatus Status,
    string? EndedBy);
