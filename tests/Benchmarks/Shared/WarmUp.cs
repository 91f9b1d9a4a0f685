using System.Diagnostics;

namespace DaprIoT.Benchmarks;

/// <summary>
/// Runs a path at a stretch's rate before the stretch is measured: twice for 3 s, each round followed by a wait for
/// the platform to be idle. The first use of a path has every process compile it again, optimized (tiered JIT: tens
/// of CPU seconds in all on two cores), and the backlog that builds meanwhile would be measured as the stretch's
/// latency; a second round reaches what the first one made hot enough to be compiled once more.
/// </summary>
public static class WarmUp
{
    private const int Rounds = 2;
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(3);

    /// <param name="run">Runs the path at the stretch's rate for the time given, its results not counted.</param>
    /// <param name="roles">The platform's processes whose idleness ends each round (<see cref="ProcessMeter.QuietAsync"/>).</param>
    /// <returns>A line for the report: what the warm-up did and how long it took.</returns>
    public static async Task<string> RunAsync(Func<TimeSpan, Task> run, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        for (var round = 0; round < Rounds; round++)
        {
            await run(Round);
            await ProcessMeter.QuietAsync(roles, cancellationToken);
        }
        return FormattableString.Invariant(
            $"warm-up: {Rounds} × {Round.TotalSeconds:0} s at the rate, each followed by a wait for idle, {clock.Elapsed.TotalSeconds:0} s in all");
    }
}
