namespace DaprIoT.Statistics.Programs;

/// <summary>A cooker's newest programs (state entry <c>stats-{deviceId}-programs</c>), newest first.</summary>
public sealed record ProgramHistory(IReadOnlyList<ProgramRun> Runs)
{
    /// <summary>How many programs a device's history keeps.</summary>
    public const int MaxRuns = 20;

    /// <summary>
    /// The history with <paramref name="run"/> in it. A finished program does not change any more, so a late event
    /// that still shows it running is ignored.
    /// </summary>
    public ProgramHistory With(ProgramRun run)
    {
        if (Runs.FirstOrDefault(r => r.CommandId == run.CommandId) is { } known
            && (known == run || known.Status != Contracts.Devices.ProgramStatus.Running))
        {
            return this;
        }

        return new ProgramHistory([.. Runs.Where(r => r.CommandId != run.CommandId).Append(run)
            .OrderByDescending(r => r.StartedAt).Take(MaxRuns)]);
    }
}
