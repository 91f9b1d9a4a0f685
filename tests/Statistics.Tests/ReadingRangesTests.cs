using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.Statistics.Rollups;

namespace DaprIoT.Statistics.Tests;

/// <summary>Which readings a roll-up entry already holds, and applying a reading twice.</summary>
public sealed class ReadingRangesTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);

    private static TelemetryReading Bulb(uint boot, uint seq, int powerMw, int second = 0) =>
        new("bulb-1", "lightbulb", boot, seq, Noon.AddSeconds(second), 10, PowerMw: powerMw);

    private static ulong At(uint seq, uint boot = 7) => ReadingRanges.Position(boot, seq);

    [Fact]
    public void Readings_in_order_make_one_range_and_each_is_added_once()
    {
        var ranges = new ReadingRanges();

        Assert.All(Enumerable.Range(1, 100), seq => Assert.True(ranges.Add(At((uint)seq))));
        Assert.All(Enumerable.Range(1, 100), seq => Assert.False(ranges.Add(At((uint)seq))));

        Assert.Equal([new ReadingRange(At(1), At(100))], ranges.Ranges);
    }

    [Fact]
    public void A_late_reading_inside_a_gap_is_added_and_joins_its_neighbours()
    {
        var ranges = new ReadingRanges();
        foreach (var seq in new uint[] { 1, 2, 3, 6, 7, 5 }) ranges.Add(At(seq));

        Assert.Equal([new ReadingRange(At(1), At(3)), new ReadingRange(At(5), At(7))], ranges.Ranges);
        Assert.False(ranges.Contains(At(4)));

        Assert.True(ranges.Add(At(4)));                 // what a high-water mark at 7 would have dropped
        Assert.Equal([new ReadingRange(At(1), At(7))], ranges.Ranges);
        Assert.True(ranges.Contains(At(4)));
        Assert.False(ranges.Contains(At(8)));
    }

    [Fact]
    public void Boots_order_before_seqs_and_never_join()
    {
        var ranges = new ReadingRanges();
        ranges.Add(At(1, boot: 8));
        ranges.Add(At(uint.MaxValue, boot: 7));
        ranges.Add(At(500, boot: 7));

        Assert.Equal(
            [new ReadingRange(At(500, 7), At(500, 7)), new ReadingRange(At(uint.MaxValue, 7), At(uint.MaxValue, 7)), new ReadingRange(At(1, 8), At(1, 8))],
            ranges.Ranges);
        Assert.False(ranges.Contains(At(1, boot: 7)));
        Assert.True(ranges.Add(ReadingRanges.Position(uint.MaxValue, uint.MaxValue)));
    }

    [Fact]
    public void Compacting_closes_the_smallest_gaps_first_and_the_oldest_among_equals()
    {
        // Ranges 1, 3, 5, 10, 12: gaps of 1, 1, 4, 1 positions.
        var ranges = new ReadingRanges();
        foreach (var seq in new uint[] { 1, 3, 5, 10, 12 }) ranges.Add(At(seq));

        var closed = ranges.Compact(maxRanges: 3);

        Assert.Equal(2UL, closed);
        Assert.Equal([new ReadingRange(At(1), At(5)), new ReadingRange(At(10), At(10)), new ReadingRange(At(12), At(12))], ranges.Ranges);
        Assert.Equal(0UL, ranges.Compact(maxRanges: 3));
    }

    [Fact]
    public void An_entry_stays_bounded_however_fragmented_its_readings()
    {
        var entry = RollupEntry.Empty();
        // Every other seq, in 50 batches of 20: a device whose every second message is no telemetry, at its worst.
        for (var batch = 0; batch < 50; batch++)
        {
            entry = RollupPlan.Apply(entry, Resolution.Minute,
                [.. Enumerable.Range(0, 20).Select(i => Bulb(7, (uint)(((batch * 20) + i) * 2) + 1, 10, second: batch))]);
        }

        Assert.Equal(ReadingRanges.MaxRanges, entry.Applied!.Count);
        Assert.Equal(1000, entry.Slots.Values.Sum(s => s[Measures.PowerMw].Count));
        // The newest readings are still told apart exactly: the gaps closed are the oldest.
        Assert.Equal(new ReadingRange(At(1999), At(1999)), entry.Applied[^1]);
    }

    [Fact]
    public void Applying_a_batch_again_changes_nothing()
    {
        var batch = new[] { Bulb(7, 10, 100), Bulb(7, 11, 300, second: 1), Bulb(7, 13, 200, second: 70) };
        var once = RollupPlan.Apply(RollupEntry.Empty(), Resolution.Minute, batch);

        var twice = RollupPlan.Apply(once, Resolution.Minute, batch, out var added);

        Assert.Equal(0, added);
        Assert.Same(once, twice);
        Assert.Equal(new MeasureStats(2, 100, 300, 400), twice.Slots[0][Measures.PowerMw]);
        Assert.Equal(new MeasureStats(1, 200, 200, 200), twice.Slots[1][Measures.PowerMw]);
        Assert.Equal([new ReadingRange(At(10), At(11)), new ReadingRange(At(13), At(13))], twice.Applied);
    }

    [Fact]
    public void A_batch_redelivered_with_new_readings_counts_only_the_new_ones_even_out_of_order()
    {
        var first = RollupPlan.Apply(RollupEntry.Empty(), Resolution.Hour, [Bulb(7, 10, 100), Bulb(7, 12, 100)]);

        // 12 again (redelivered), 11 late, 12 twice in one batch, then 13.
        var second = RollupPlan.Apply(first, Resolution.Hour, [Bulb(7, 12, 100), Bulb(7, 11, 40), Bulb(7, 12, 100), Bulb(7, 13, 60)], out var added);

        Assert.Equal(2, added);
        Assert.Equal(new MeasureStats(4, 40, 100, 300), second.Slots[12][Measures.PowerMw]);
        Assert.Equal([new ReadingRange(At(10), At(13))], second.Applied);
    }

    [Fact]
    public void An_entry_round_trips_through_the_state_stores_json_and_one_written_before_ranges_still_reads()
    {
        var entry = RollupPlan.Apply(RollupEntry.Empty(), Resolution.Minute, [Bulb(7, 10, 100), Bulb(7, 12, 100)]);

        var read = JsonSerializer.Deserialize<RollupEntry>(JsonSerializer.Serialize(entry, ContractJson.Options), ContractJson.Options)!;
        var old = JsonSerializer.Deserialize<RollupEntry>("""{"slots":{"0":{"powerMw":{"count":1,"min":5,"max":5,"sum":5}}}}""", ContractJson.Options)!;

        Assert.Equal(entry.Applied, read.Applied);
        Assert.Equal(2, RollupPlan.Apply(read, Resolution.Minute, [Bulb(7, 12, 100)]).Slots[0][Measures.PowerMw].Count);
        Assert.Null(old.Applied);
        Assert.Equal(2, RollupPlan.Apply(old, Resolution.Minute, [Bulb(7, 12, 100)]).Slots[0][Measures.PowerMw].Count);
    }
}
