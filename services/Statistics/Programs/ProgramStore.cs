using System.Globalization;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Statistics.Rollups;

namespace DaprIoT.Statistics.Programs;

/// <summary>
/// Cookers' program histories in the <c>statestore</c> component. Only the program's facts are kept; its temperature
/// and heating figures are computed from the roll-ups when asked for, so telemetry still on its way when the program
/// ends is counted too.
/// </summary>
public sealed class ProgramStore(DaprClient dapr)
{
    private const int MaxAttempts = 10;

    private static readonly StateOptions Checked = new() { Concurrency = ConcurrencyMode.FirstWrite };

    // Kept as long as the hour buckets its figures come from.
    private static readonly Dictionary<string, string> Ttl = new()
    {
        ["ttlInSeconds"] = ((long)RollupPlan.HourEntryTtl.TotalSeconds).ToString(CultureInfo.InvariantCulture),
    };

    public async Task<IReadOnlyList<ProgramRun>> GetAsync(string deviceId, CancellationToken cancellationToken) =>
        (await dapr.GetStateAsync<ProgramHistory?>(ComponentNames.StateStore, RollupPlan.ProgramsKey(deviceId),
            cancellationToken: cancellationToken))?.Runs ?? [];

    /// <summary>Records the program a device event shows (ETag-checked: another replica may record the same cooker's).</summary>
    public async Task RecordAsync(string deviceId, ProgramView program, CancellationToken cancellationToken)
    {
        var run = new ProgramRun(program.CommandId, program.TargetTempC, program.DurationS, program.StartedAt, program.EndedAt,
            program.Status, program.EndedBy);
        var key = RollupPlan.ProgramsKey(deviceId);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (history, etag) = await dapr.GetStateAndETagAsync<ProgramHistory?>(ComponentNames.StateStore, key,
                cancellationToken: cancellationToken);
            var current = history ?? new ProgramHistory([]);
            var updated = current.With(run);
            if (ReferenceEquals(updated, current) && history is not null) return;
            if (await dapr.TrySaveStateAsync(ComponentNames.StateStore, key, updated, etag ?? "", Checked, Ttl, cancellationToken)) return;
        }

        throw new InvalidOperationException(
            $"The program history of device '{deviceId}' changed under {MaxAttempts} updates in a row; the event is delivered again.");
    }
}
