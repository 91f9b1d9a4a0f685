using DaprIoT.Contracts.Devices;
using DaprIoT.Statistics.Programs;
using DaprIoT.Statistics.Rollups;
using DaprIoT.Contracts.Events;
using Microsoft.Extensions.Time.Testing;

namespace DaprIoT.Statistics.Tests;

/// <summary>Program histories and the figures of a program, on a fake clock.</summary>
public sealed class ProgramHistoryTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);

    private static ProgramRun Run(string id, DateTimeOffset startedAt, ProgramStatus status = ProgramStatus.Running) =>
        new(id, 56.5m, 3600, startedAt, status == ProgramStatus.Running ? null : startedAt.AddHours(1), status, null);

    [Fact]
    public void A_program_is_recorded_once_and_newest_first()
    {
        var history = new ProgramHistory([]).With(Run("a", Noon)).With(Run("b", Noon.AddHours(2))).With(Run("a", Noon));

        Assert.Equal(["b", "a"], history.Runs.Select(r => r.CommandId));
    }

    [Fact]
    public void A_finished_program_is_not_turned_back_into_a_running_one_by_a_late_event()
    {
        var done = new ProgramHistory([]).With(Run("a", Noon)).With(Run("a", Noon, ProgramStatus.Completed));

        var late = done.With(Run("a", Noon));

        Assert.Same(done, late);
        Assert.Equal(ProgramStatus.Completed, Assert.Single(late.Runs).Status);
    }

    [Fact]
    public void Only_the_newest_programs_are_kept()
    {
        var history = new ProgramHistory([]);
        for (var i = 0; i < ProgramHistory.MaxRuns + 5; i++) history = history.With(Run($"p{i}", Noon.AddHours(i)));

        Assert.Equal(ProgramHistory.MaxRuns, history.Runs.Count);
        Assert.Equal($"p{ProgramHistory.MaxRuns + 4}", history.Runs[0].CommandId);
    }

    [Fact]
    public void A_programs_figures_sum_the_buckets_of_its_span_and_nothing_around_it()
    {
        // Each reading its own seq (its second), as a device numbers its messages: the entry counts a (boot, seq) once.
        static TelemetryReading At(DateTimeOffset at, decimal celsius, bool heating) =>
            new("c", "sousvide", 1, (uint)at.ToUnixTimeSeconds(), at, 1, WaterTempC: celsius, Heating: heating);
        var entry = RollupPlan.Apply(RollupEntry.Empty(), Resolution.Minute,
            [At(Noon.AddMinutes(-1), 20, true), At(Noon.AddSeconds(10), 50, true), At(Noon.AddMinutes(1), 54, false), At(Noon.AddMinutes(2), 90, true)]);

        var figures = RollupPlan.Summarise(Resolution.Minute, [(Noon, entry)], Noon.AddSeconds(5), Noon.AddMinutes(2));

        Assert.Equal(new MeasureStats(2, 50, 54, 104), figures["waterTempC"]);
        Assert.Equal(0.5, figures["heating"].Average);
    }

    [Fact]
    public void Programs_of_the_last_day_use_minute_buckets_and_older_ones_hour_buckets()
    {
        var plan = new RollupPlan(new FakeTimeProvider(Noon));

        Assert.Equal(Resolution.Minute, plan.FinestFor(Noon.AddHours(-23)));
        Assert.Equal(Resolution.Hour, plan.FinestFor(Noon.AddHours(-25)));
    }
}
