namespace DaprIoT.Statistics.Rollups;

/// <summary>
/// One state entry of a device's roll-ups: the minute buckets of one hour (slots 0–59) or the hour buckets of one
/// day (slots 0–23). Each slot holds the stats of every measure seen in it. Slots without readings are absent.
/// <see cref="Applied"/> names the readings already in the entry (<see cref="ReadingRanges"/>), so one delivered again
/// is not counted twice; entries written before it existed have none.
/// </summary>
public sealed record RollupEntry(Dictionary<int, Dictionary<string, MeasureStats>> Slots, IReadOnlyList<ReadingRange>? Applied = null)
{
    public static RollupEntry Empty() => new(new Dictionary<int, Dictionary<string, MeasureStats>>());
}
