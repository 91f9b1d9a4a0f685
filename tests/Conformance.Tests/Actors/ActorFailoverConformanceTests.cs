using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dapr;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.Actors;

public sealed class ActorFailoverConformanceTests
{
    private sealed record Outcome(int? Value, string? Failure);

    /// <summary>
    /// Each id is counted by one caller at a time while a host replica's app is killed twice. Its ids move to the
    /// other replica while it restarts and back when it returns; the replica they leave must deactivate them, or
    /// its cached state is stale the next time they arrive and the count repeats numbers.
    /// </summary>
    [Fact]
    public async Task Actor_state_stays_consistent_while_ids_move_between_replicas_as_a_host_app_dies_and_returns()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await ActorRun.StartAsync(hostReplicas: 2, ct);
        var ids = Enumerable.Range(0, 16).Select(i => $"failover-{i}-{Guid.NewGuid():N}").ToList();
        var outcomes = ids.ToDictionary(id => id, _ => new ConcurrentQueue<Outcome>());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var counters = ids.Select(id => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var count = await run.Actors.CallAsync(run.SidecarUrls[0], id, "Count", null, stop.Token);
                    outcomes[id].Enqueue(new Outcome(count.GetInt32(), null));
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is DaprApiException or HttpRequestException)
                {
                    // The sidecar answered an error (DaprApiException) or could not be reached.
                    outcomes[id].Enqueue(new Outcome(null, e.Message));
                }
            }
        }, CancellationToken.None)).ToList();

        try
        {
            await EveryIdCountsAsync(outcomes, ct);
            for (var round = 0; round < 2; round++)
            {
                var pid = await run.Hosts[1].PidAsync(ct) ?? throw new InvalidOperationException("host replica 1 does not answer /pid");
                Process.GetProcessById(pid).Kill();
                await Eventually.UntilAsync(token => run.Hosts[1].PidAsync(token), p => p is { } now && now != pid,
                    "host replica 1 is restarted", p => $"pid {p}", TimeSpan.FromSeconds(30), ct);
                await run.Dapr.WaitHealthyAsync(ct);
                await EveryIdCountsAsync(outcomes, ct);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(counters);
        }

        // The ids replica 1 owns were served by replica 0 while it was down and came back to its new process.
        var movedBack = (await run.Hosts[1].ActivationsAsync(ct)).Keys.Intersect(ids).ToList();
        var servedByZero = (await run.Hosts[0].ActivationsAsync(ct)).Keys.ToHashSet();
        Assert.True(movedBack.Count > 0 && movedBack.All(servedByZero.Contains),
            $"ids of replica 1 after the restarts: {string.Join(", ", movedBack)}; activated on replica 0: {string.Join(", ", servedByZero)}");

        foreach (var (id, seen) in outcomes)
        {
            var history = seen.ToList();
            var previous = 0;
            var failuresSince = 0;
            foreach (var outcome in history)
            {
                if (outcome.Value is not { } value)
                {
                    failuresSince++;
                    continue;
                }
                // A failed call may still have saved its increment, so each failure may leave one gap; nothing else may.
                Assert.True(value > previous && value - previous - 1 <= failuresSince,
                    $"{id}: count {value} after {previous} with {failuresSince} failed call(s) between; history: {Describe(history)}");
                previous = value;
                failuresSince = 0;
            }
        }
    }

    /// <summary>Waits until every id has had two more successful calls than now.</summary>
    private static async Task EveryIdCountsAsync(Dictionary<string, ConcurrentQueue<Outcome>> outcomes, CancellationToken ct)
    {
        var targets = outcomes.ToDictionary(o => o.Key, o => o.Value.Count(x => x.Value is not null) + 2);
        await Eventually.UntilAsync(_ => Task.FromResult(outcomes.ToDictionary(o => o.Key, o => o.Value.Count(x => x.Value is not null))),
            counts => counts.All(c => c.Value >= targets[c.Key]), "every id is counted again",
            counts => string.Join(", ", counts.Select(c => $"{c.Key}: {c.Value}/{targets[c.Key]} ({Describe(outcomes[c.Key].TakeLast(3))})")),
            TimeSpan.FromSeconds(30), ct);
    }

    private static string Describe(IEnumerable<Outcome> history) =>
        string.Join(" ", history.Select(o => o.Value?.ToString(CultureInfo.InvariantCulture) ?? $"[{o.Failure}]"));
}
