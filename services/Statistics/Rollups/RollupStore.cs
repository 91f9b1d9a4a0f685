using System.Globalization;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;

namespace DaprIoT.Statistics.Rollups;

/// <summary>
/// A device's roll-up entries in the <c>statestore</c> component. Every replica of the service may hold a batch of the
/// same device at once (competing consumers), so each entry is updated read-modify-write with its ETag and read again
/// when another replica wrote it first.
/// </summary>
public sealed partial class RollupStore(DaprClient dapr, RollupPlan plan, StatisticsMetrics metrics, ILogger<RollupStore> logger)
{
    /// <summary>How often an update is tried against newer writes of other replicas before the batch is retried whole.</summary>
    public const int MaxAttempts = 10;

    // First-write concurrency makes the store check the ETag (under last-write, Redis ignores it); without an ETag it
    // means "only if the entry is still new", so two replicas creating an entry at once cannot both win either.
    private static readonly StateOptions Checked = new() { Concurrency = ConcurrencyMode.FirstWrite };

    /// <summary>
    /// Adds one device's readings of a batch: one write per entry touched (the hour's and the day's, usually). Safe to
    /// call again with readings already added, as a redelivery does: each entry takes only the readings it lacks, and an
    /// entry that has them all is not written.
    /// </summary>
    public async Task AddAsync(string deviceId, IReadOnlyList<TelemetryReading> readings, CancellationToken cancellationToken)
    {
        foreach (var (key, resolution, entryReadings) in plan.EntriesFor(deviceId, readings))
        {
            await UpdateAsync(key, resolution, entryReadings, cancellationToken);
        }
    }

    private async Task UpdateAsync(string key, Resolution resolution, IReadOnlyList<TelemetryReading> readings, CancellationToken cancellationToken)
    {
        var ttl = new Dictionary<string, string>
        {
            ["ttlInSeconds"] = ((long)RollupPlan.EntryTtl(resolution).TotalSeconds).ToString(CultureInfo.InvariantCulture),
        };
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (entry, etag) = await dapr.GetStateAndETagAsync<RollupEntry?>(ComponentNames.StateStore, key, cancellationToken: cancellationToken);
            var updated = RollupPlan.Apply(entry ?? RollupEntry.Empty(), resolution, readings, out var added);
            if (added == 0
                || await dapr.TrySaveStateAsync(ComponentNames.StateStore, key, updated, etag ?? "", Checked, ttl, cancellationToken))
            {
                metrics.RollupReadings(resolution, added, readings.Count - added);
                return;
            }

            Conflict(logger, key, attempt);
        }

        throw new InvalidOperationException(
            $"State entry '{key}' changed under {MaxAttempts} updates in a row; the batch is handed back to be delivered again.");
    }

    /// <summary>The entries covering [from, to) of one resolution, with their start times; missing entries are left out.</summary>
    public async Task<IReadOnlyList<(DateTimeOffset Start, RollupEntry Entry)>> ReadAsync(string deviceId, Resolution resolution,
        DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var entries = RollupPlan.EntriesCovering(deviceId, resolution, from, to);
        var startByKey = entries.ToDictionary(e => e.Key, e => e.Start, StringComparer.Ordinal);
        var items = await dapr.GetBulkStateAsync<RollupEntry?>(ComponentNames.StateStore, [.. startByKey.Keys], parallelism: 8,
            cancellationToken: cancellationToken);
        return [.. items.Where(i => i.Value is not null).Select(i => (startByKey[i.Key], i.Value!))];
    }

    /// <summary>Deletes every roll-up entry the device can have, in one state transaction (deleting a missing key is no error).</summary>
    public Task DeleteAllAsync(string deviceId, CancellationToken cancellationToken) =>
        dapr.ExecuteStateTransactionAsync(ComponentNames.StateStore,
            [.. plan.AllKeys(deviceId).Select(key => new StateTransactionRequest(key, null, StateOperationType.Delete))],
            cancellationToken: cancellationToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "State entry {Key} was written by another replica first (attempt {Attempt}); reading it again")]
    private static partial void Conflict(ILogger logger, string key, int attempt);
}
