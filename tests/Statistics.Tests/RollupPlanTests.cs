using DaprIoT.Contracts.Events;
using DaprIoT.Statistics.Api;
using DaprIoT.Statistics.Rollups;
using Microsoft.Extensions.Time.Testing;

namespace DaprIoT.Statistics.Tests;

/// <summary>The bucket arithmetic, on a fake clock.</summary>
public sealed class RollupPlanTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);

    // Every reading its own seq, as a device numbers its messages: an entry counts a (boot, seq) once.
    private static uint _seq;

    private static TelemetryReading Bulb(DateTimeOffset at, int powerMw) =>
        new("bulb-1", "lightbulb", 1, Interlocked.Increment(ref _seq), at, 10, PowerMw: powerMw);

    private static TelemetryReading Cooker(DateTimeOffset at, decimal celsius, bool heating) =>
        new("cooker-1", "sousvide", 1, Interlocked.Increment(ref _seq), at, 10, WaterTempC: celsius, Heating: heating);

    [Fact]
    public void Readings_of_one_minute_share_a_bucket_with_count_min_max_and_mean()
    {
        var at = Noon.AddMinutes(7);
        var entry = RollupPlan.Apply(RollupEntry.Empty(), Resolution.Minute,
            [Bulb(at.AddSeconds(1), 100), Bulb(at.AddSeconds(30), 300), Bulb(at.AddSeconds(59), 200)]);

        var stats = Assert.Single(entry.Slots[7]).Value;
        Assert.Equal(new MeasureStats(3, 100, 300, 600), stats);
        Assert.Equal(200, stats.Average);
    }

    [Fact]
    public void Applying_to_an_existing_entry_merges_and_leaves_the_original_unchanged()
    {
        var first = RollupPlan.Apply(RollupEntry.Empty(), Resolution.Hour, [Bulb(Noon, 100)]);

        var second = RollupPlan.Apply(first, Resolution.Hour, [Bulb(Noon.AddMinutes(59), 50), Bulb(Noon.AddHours(1), 70)]);

        Assert.Equal(new MeasureStats(1, 100, 100, 100), first.Slots[12]["powerMw"]);
        Assert.Equal(new MeasureStats(2, 50, 100, 150), second.Slots[12]["powerMw"]);
        Assert.Equal(new MeasureStats(1, 70, 70, 70), second.Slots[13]["powerMw"]);
    }

    [Fact]
    public void A_cookers_heating_averages_to_the_share_of_readings_with_the_heater_on()
    {
        var entry = RollupPlan.Apply(RollupEntry.Empty(), Resolution.Minute,
            [Cooker(Noon, 55.5m, true), Cooker(Noon.AddSeconds(10), 56.5m, true), Cooker(Noon.AddSeconds(20), 57m, false), Cooker(Noon.AddSeconds(30), 57m, true)]);

        Assert.Equal(0.75, entry.Slots[0]["heating"].Average);
        Assert.Equal(new MeasureStats(4, 55.5, 57, 226), entry.Slots[0]["waterTempC"]);
        Assert.False(entry.Slots[0].ContainsKey("powerMw"));
    }

    [Fact]
    public void Entry_keys_name_the_hour_of_minute_buckets_and_the_day_of_hour_buckets_in_utc()
    {
        var at = new DateTimeOffset(2026, 3, 14, 23, 30, 0, TimeSpan.FromHours(-2));   // 01:30 UTC the next day

        Assert.Equal("stats-bulb-1-minutes-2026031501", RollupPlan.EntryKey("bulb-1", Resolution.Minute, at));
        Assert.Equal("stats-bulb-1-hours-20260315", RollupPlan.EntryKey("bulb-1", Resolution.Hour, at));
        Assert.Equal(30, RollupPlan.Slot(Resolution.Minute, at));
        Assert.Equal(1, RollupPlan.Slot(Resolution.Hour, at));
    }

    [Fact]
    public void A_batch_crossing_an_hour_updates_two_minute_entries_and_one_day_entry()
    {
        var plan = new RollupPlan(new FakeTimeProvider(Noon.AddMinutes(2)));

        var entries = plan.EntriesFor("bulb-1", [Bulb(Noon.AddSeconds(-5), 1), Bulb(Noon.AddSeconds(5), 2), Bulb(Noon.AddSeconds(6), 3)]);

        Assert.Equal(
            [("stats-bulb-1-minutes-2026031411", 1), ("stats-bulb-1-minutes-2026031412", 2), ("stats-bulb-1-hours-20260314", 3)],
            entries.Select(e => (e.Key, e.Readings.Count)));
    }

    [Fact]
    public void Readings_past_a_resolutions_retention_or_from_the_future_are_not_kept()
    {
        var clock = new FakeTimeProvider(Noon);
        var plan = new RollupPlan(clock);
        var twoDaysAgo = Noon.AddDays(-2);

        Assert.False(plan.Keeps(Resolution.Minute, twoDaysAgo));
        Assert.True(plan.Keeps(Resolution.Hour, twoDaysAgo));
        Assert.False(plan.Keeps(Resolution.Hour, Noon.AddDays(-31)));
        Assert.False(plan.Keeps(Resolution.Minute, Noon.AddMinutes(10)));
        Assert.Equal([Resolution.Hour], plan.EntriesFor("bulb-1", [Bulb(twoDaysAgo, 5)]).Select(e => e.Resolution));

        clock.Advance(TimeSpan.FromDays(27));              // the reading is 29 days old
        Assert.True(plan.Keeps(Resolution.Hour, twoDaysAgo));
        clock.Advance(TimeSpan.FromDays(2));
        Assert.False(plan.Keeps(Resolution.Hour, twoDaysAgo));
    }

    [Fact]
    public void Entries_outlive_their_newest_bucket_by_at_least_the_retention()
    {
        Assert.True(RollupPlan.MinuteEntryTtl >= RollupPlan.MinuteRetention + TimeSpan.FromHours(1));
        Assert.True(RollupPlan.HourEntryTtl >= RollupPlan.HourRetention + TimeSpan.FromDays(1));
    }

    [Fact]
    public void Every_key_written_within_the_retention_is_among_the_keys_a_removal_deletes()
    {
        var clock = new FakeTimeProvider(Noon);
        var plan = new RollupPlan(clock);
        var written = new HashSet<string>();
        for (var at = Noon; at <= Noon.AddDays(40); at += TimeSpan.FromMinutes(20))
        {
            clock.SetUtcNow(at);
            foreach (var entry in plan.EntriesFor("bulb-1", [Bulb(at, 1)])) written.Add(entry.Key);
        }

        var all = plan.AllKeys("bulb-1").ToHashSet();

        // Entries written more than their TTL ago have expired by themselves; everything younger is deleted.
        var stillAlive = written.Where(key => key.Contains("-minutes-", StringComparison.Ordinal)
            ? string.CompareOrdinal(key, RollupPlan.EntryKey("bulb-1", Resolution.Minute, clock.GetUtcNow() - RollupPlan.MinuteEntryTtl)) >= 0
            : string.CompareOrdinal(key, RollupPlan.EntryKey("bulb-1", Resolution.Hour, clock.GetUtcNow() - RollupPlan.HourEntryTtl)) >= 0);
        Assert.Subset(all, stillAlive.ToHashSet());
        Assert.True(all.Count < 100, $"{all.Count} keys to delete");
    }

    [Fact]
    public void Points_come_per_measure_oldest_first_at_their_bucket_start_within_the_range()
    {
        var hour11 = RollupPlan.Apply(RollupEntry.Empty(), Resolution.Minute, [Bulb(Noon.AddMinutes(-1), 10), Bulb(Noon.AddMinutes(-30), 20)]);
        var hour12 = RollupPlan.Apply(RollupEntry.Empty(), Resolution.Minute, [Bulb(Noon.AddMinutes(3), 30), Bulb(Noon.AddMinutes(3), 50)]);

        var points = RollupPlan.Points(Resolution.Minute, [(Noon, hour12), (Noon.AddHours(-1), hour11)], Noon.AddMinutes(-5), Noon.AddMinutes(5));

        Assert.Equal(
            [new SeriesPoint(Noon.AddMinutes(-1), 1, 10, 10, 10), new SeriesPoint(Noon.AddMinutes(3), 2, 30, 50, 40)],
            points["powerMw"]);
    }

    [Fact]
    public void The_entries_covering_a_range_are_each_hour_or_day_it_touches()
    {
        var keys = RollupPlan.EntriesCovering("d", Resolution.Minute, Noon.AddMinutes(-30), Noon.AddMinutes(61)).Select(e => e.Key);

        Assert.Equal(["stats-d-minutes-2026031411", "stats-d-minutes-2026031412", "stats-d-minutes-2026031413"], keys);
    }

    [Theory]
    [InlineData("second", null, null, "resolution")]
    [InlineData("minute", "yesterday", null, "from")]
    [InlineData("minute", null, "soon", "to")]
    [InlineData("minute", "2026-03-14T12:00:00Z", "2026-03-14T11:00:00Z", "from")]
    [InlineData("minute", "2026-03-13T11:00:00Z", "2026-03-14T12:00:00Z", "from")]
    [InlineData("hour", "2026-01-01T00:00:00Z", "2026-03-14T12:00:00Z", "from")]
    public void A_bad_series_query_names_the_parameter(string? resolution, string? from, string? to, string parameter)
    {
        var (query, errors) = SeriesQuery.Parse(resolution, from, to, Noon);

        Assert.Null(query);
        Assert.Equal([parameter], errors.Keys);
    }

    [Fact]
    public void A_series_query_defaults_to_the_last_hour_of_minutes_and_rounds_from_down_to_its_bucket()
    {
        Assert.Equal(new SeriesQuery(Resolution.Minute, Noon.AddHours(-1), Noon), SeriesQuery.Parse(null, null, null, Noon).Query);
        Assert.Equal(new SeriesQuery(Resolution.Hour, Noon.AddHours(-1), Noon),
            SeriesQuery.Parse("hour", "2026-03-14T11:59:00Z", null, Noon).Query);
        Assert.Equal(new SeriesQuery(Resolution.Hour, Noon.AddHours(-24), Noon), SeriesQuery.Parse("hour", null, null, Noon).Query);
    }
}
