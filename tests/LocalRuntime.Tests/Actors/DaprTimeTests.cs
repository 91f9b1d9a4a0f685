using Xunit;
using DaprIoT.LocalRuntime.Actors;

namespace DaprIoT.LocalRuntime.Tests.Actors;

public sealed class DaprTimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("1m", 60, -1)]
    [InlineData("0h0m3s0ms", 3, -1)]
    [InlineData("PT1M", 60, -1)]
    [InlineData("R5/PT30S", 30, 5)]
    [InlineData("PT1H30M", 5400, -1)]
    [InlineData("1h30m", 5400, -1)]
    public void Periods_in_Go_and_ISO_8601_forms_are_parsed_with_their_repetitions(string text, int seconds, int repeats)
    {
        var period = ActorPeriod.Parse(text);

        Assert.Equal(TimeSpan.FromSeconds(seconds), period.Duration);
        Assert.Equal(repeats, period.Repeats);
        Assert.True(period.HasRepeats);
    }

    [Theory]
    [InlineData("R0/PT1S", "has zero repetitions")]
    [InlineData("10", "unsupported duration format")]
    [InlineData("abc", "unsupported duration format")]
    [InlineData("1d", "unsupported duration format")]
    [InlineData("PT1H1D", "unsupported duration format")]
    [InlineData("2562048h", "unsupported duration format")] // beyond Go's int64 nanoseconds
    public void Periods_daprd_rejects_are_rejected_with_its_message(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => ActorPeriod.Parse(text));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Calendar_periods_are_marked_so_reminders_can_refuse_them()
    {
        Assert.True(ActorPeriod.Parse("P1D").HasDateDesignators);
        Assert.True(ActorPeriod.Parse("P1W").HasDateDesignators);
        Assert.False(ActorPeriod.Parse("PT24H").HasDateDesignators);
        Assert.Equal(7, ActorPeriod.Parse("P1W").Days);
    }

    [Theory]
    [InlineData("10s", 10)]
    [InlineData("PT1M", 60)]
    [InlineData("0s", 0)]
    [InlineData("2026-03-01T12:05:00Z", 300)]
    [InlineData("2026-03-01T13:05:00+01:00", 300)]
    public void Due_times_are_durations_from_now_or_RFC_3339_timestamps(string text, int secondsFromNow)
    {
        var schedule = ActorSchedule.Create("reminder", "T||1||r", text, null, null, Now);

        Assert.Equal(Now.AddSeconds(secondsFromNow), schedule.NextDue);
    }

    [Fact]
    public void A_due_time_with_repetitions_is_rejected()
    {
        var error = Assert.Throws<FormatException>(() => ActorSchedule.Create("timer", "T||1||t", "R2/PT1S", null, null, Now));

        Assert.Equal("error parsing timer due time: repetitions are not allowed", error.Message);
    }

    [Fact]
    public void A_ttl_already_past_is_rejected()
    {
        var error = Assert.Throws<FormatException>(() =>
            ActorSchedule.Create("reminder", "T||1||r", null, "1s", "2020-01-01T00:00:00Z", Now));

        Assert.StartsWith("reminder T||1||r has already expired", error.Message);
    }

    [Fact]
    public void A_limited_period_stops_after_its_repetitions()
    {
        var schedule = ActorSchedule.Create("reminder", "T||1||r", "1s", "R3/PT1S", null, Now);
        var fired = 0;
        for (ActorSchedule? s = schedule; s is not null; s = s.AfterFiring(s.NextDue)) fired++;

        Assert.Equal(3, fired);
    }

    [Fact]
    public void A_ttl_stops_a_period_at_the_expiry()
    {
        var schedule = ActorSchedule.Create("reminder", "T||1||r", "0s", "10s", "25s", Now);
        var due = new List<DateTimeOffset>();
        for (ActorSchedule? s = schedule; s is not null; s = s.AfterFiring(s.NextDue)) due.Add(s.NextDue);

        Assert.Equal([Now, Now.AddSeconds(10), Now.AddSeconds(20)], due);
    }

    [Fact]
    public void Missed_periods_are_skipped_rather_than_fired_in_a_burst()
    {
        var schedule = ActorSchedule.Create("reminder", "T||1||r", "0s", "1m", null, Now);

        var next = schedule.AfterFiring(Now.AddMinutes(10).AddSeconds(5));

        Assert.Equal(Now.AddMinutes(11), next!.NextDue);
    }

    [Theory]
    [InlineData("P9000Y", null, "error parsing reminder due time: P9000Y from 2026-03-01T12:00:00.0000000+00:00 falls outside years 1 to 9999")]
    [InlineData("2562048h", null, "error parsing reminder due time: unsupported time/duration format: 2562048h")]
    [InlineData("9999-12-31T23:00:00Z", "PT2H", "error parsing reminder TTL: PT2H from 9999-12-31T23:00:00.0000000+00:00 falls outside years 1 to 9999")]
    public void Times_out_of_range_are_format_errors_naming_the_field(string dueTime, string? ttl, string message)
    {
        var error = Assert.Throws<FormatException>(() => ActorSchedule.Create("reminder", "T||1||r", dueTime, null, ttl, Now));

        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void A_period_whose_next_firing_falls_after_year_9999_ends_the_schedule()
    {
        var schedule = ActorSchedule.Create("timer", "T||1||t", "0s", "P9000Y", null, Now);

        Assert.Null(schedule.AfterFiring(Now));
    }
}
