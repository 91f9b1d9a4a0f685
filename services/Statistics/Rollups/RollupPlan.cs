using System.Globalization;
using DaprIoT.Contracts.Events;

namespace DaprIoT.Statistics.Rollups;

/// <summary>
/// The arithmetic of the roll-ups, free of Dapr: which state entry and slot a reading falls in, how long entries
/// live, which entries a time range needs, and how entries turn into chart points. All times are UTC.
/// <para>
/// Keys: <c>stats-{deviceId}-minutes-{yyyyMMddHH}</c> holds the 60 minute buckets of one hour;
/// <c>stats-{deviceId}-hours-{yyyyMMdd}</c> the 24 hour buckets of one day.
/// </para>
/// </summary>
public sealed class RollupPlan(TimeProvider time)
{
    public static readonly TimeSpan MinuteRetention = TimeSpan.FromHours(24);
    public static readonly TimeSpan HourRetention = TimeSpan.FromDays(30);

    /// <summary>
    /// An entry's TTL restarts with every write, and writes happen while its hour (day) is current, so its oldest bucket
    /// lives at least the retention after the entry's span ends; the extra hour covers late deliveries.
    /// </summary>
    public static readonly TimeSpan MinuteEntryTtl = MinuteRetention + TimeSpan.FromHours(2);

    public static readonly TimeSpan HourEntryTtl = HourRetention + TimeSpan.FromDays(1) + TimeSpan.FromHours(1);

    /// <summary>Readings stamped later than this ahead of our clock are refused: no bucket should exist in the future.</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    public DateTimeOffset Now => time.GetUtcNow();

    public static TimeSpan BucketSize(Resolution resolution) =>
        resolution == Resolution.Minute ? TimeSpan.FromMinutes(1) : TimeSpan.FromHours(1);

    public static TimeSpan Retention(Resolution resolution) => resolution == Resolution.Minute ? MinuteRetention : HourRetention;

    public static TimeSpan EntryTtl(Resolution resolution) => resolution == Resolution.Minute ? MinuteEntryTtl : HourEntryTtl;

    /// <summary>The span one state entry covers: an hour of minute buckets, a day of hour buckets.</summary>
    public static TimeSpan EntrySpan(Resolution resolution) => resolution == Resolution.Minute ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);

    public static DateTimeOffset EntryStart(Resolution resolution, DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return resolution == Resolution.Minute
            ? new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero)
            : new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
    }

    public static string EntryKey(string deviceId, Resolution resolution, DateTimeOffset at) => resolution == Resolution.Minute
        ? $"stats-{deviceId}-minutes-{EntryStart(resolution, at).ToString("yyyyMMddHH", CultureInfo.InvariantCulture)}"
        : $"stats-{deviceId}-hours-{EntryStart(resolution, at).ToString("yyyyMMdd", CultureInfo.InvariantCulture)}";

    /// <summary>The bucket within its entry: the minute of the hour, or the hour of the day.</summary>
    public static int Slot(Resolution resolution, DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return resolution == Resolution.Minute ? utc.Minute : utc.Hour;
    }

    /// <summary>Whether a reading stamped <paramref name="at"/> belongs in buckets of this resolution now.</summary>
    public bool Keeps(Resolution resolution, DateTimeOffset at) => at > Now - Retention(resolution) && at <= Now + FutureTolerance;

    /// <summary>
    /// The readings grouped by the state entry they update, for each resolution that still keeps them. A batch of one
    /// device usually touches one entry of each resolution: the current hour's and the current day's.
    /// </summary>
    public IReadOnlyList<(string Key, Resolution Resolution, IReadOnlyList<TelemetryReading> Readings)> EntriesFor(
        string deviceId, IEnumerable<TelemetryReading> readings)
    {
        var list = readings.ToList();
        return [.. new[] { Resolution.Minute, Resolution.Hour }
            .SelectMany(resolution => list
                .Where(r => Keeps(resolution, r.ReceivedAt))
                .GroupBy(r => EntryKey(deviceId, resolution, r.ReceivedAt), StringComparer.Ordinal)
                .Select(g => (g.Key, resolution, (IReadOnlyList<TelemetryReading>)[.. g])))];
    }

    /// <summary>Adds readings to an entry (all of them inside the entry's span), returning the updated entry.</summary>
    public static RollupEntry Apply(RollupEntry entry, Resolution resolution, IEnumerable<TelemetryReading> readings) =>
        Apply(entry, resolution, readings, out _);

    /// <summary>
    /// Adds the readings the entry does not have yet — by <c>(boot, seq)</c>, see <see cref="ReadingRanges"/> — and
    /// records them as applied; <paramref name="added"/> says how many were new (0: the entry is unchanged).
    /// </summary>
    public static RollupEntry Apply(RollupEntry entry, Resolution resolution, IEnumerable<TelemetryReading> readings, out int added)
    {
        var slots = entry.Slots.ToDictionary(s => s.Key, s => new Dictionary<string, MeasureStats>(s.Value, StringComparer.Ordinal));
        var applied = new ReadingRanges(entry.Applied);
        added = 0;
        foreach (var reading in readings)
        {
            // Also catches a reading twice in one batch (a bulk publish the bus took twice).
            if (!applied.Add(ReadingRanges.Position(reading))) continue;
            added++;
            var slot = Slot(resolution, reading.ReceivedAt);
            if (!slots.TryGetValue(slot, out var measures))
            {
                slots[slot] = measures = new Dictionary<string, MeasureStats>(StringComparer.Ordinal);
            }

            foreach (var (name, value) in Measures.Of(reading))
            {
                measures[name] = measures.TryGetValue(name, out var stats) ? stats.Add(value) : MeasureStats.Of(value);
            }
        }

        if (added == 0) return entry;
        applied.Compact();
        return new RollupEntry(slots, [.. applied.Ranges]);
    }

    /// <summary>The keys of the entries that hold buckets in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static IReadOnlyList<(string Key, DateTimeOffset Start)> EntriesCovering(string deviceId, Resolution resolution,
        DateTimeOffset from, DateTimeOffset to)
    {
        var entries = new List<(string, DateTimeOffset)>();
        for (var start = EntryStart(resolution, from); start < to; start += EntrySpan(resolution))
        {
            entries.Add((EntryKey(deviceId, resolution, start), start));
        }

        return entries;
    }

    /// <summary>The device's sous-vide program history (<see cref="Programs.ProgramHistory"/>).</summary>
    public static string ProgramsKey(string deviceId) => $"stats-{deviceId}-programs";

    /// <summary>
    /// Every key a device's roll-ups can have now: entries live at most their TTL after their last write, and writes
    /// reach at most <see cref="FutureTolerance"/> ahead. Removing a device deletes these.
    /// </summary>
    public IReadOnlyList<string> AllKeys(string deviceId) =>
    [
        .. new[] { Resolution.Minute, Resolution.Hour }.SelectMany(resolution =>
            EntriesCovering(deviceId, resolution, Now - EntryTtl(resolution) - EntrySpan(resolution), Now + FutureTolerance + EntrySpan(resolution))
                .Select(e => e.Key)),
        ProgramsKey(deviceId),
    ];

    /// <summary>
    /// The finest resolution that still holds all of [<paramref name="from"/>, …): minutes within the last 24 hours,
    /// hours before (whose buckets may reach a little outside the span).
    /// </summary>
    public Resolution FinestFor(DateTimeOffset from) => from > Now - MinuteRetention ? Resolution.Minute : Resolution.Hour;

    /// <summary>The stats per measure over all buckets starting in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public static IReadOnlyDictionary<string, MeasureStats> Summarise(Resolution resolution,
        IEnumerable<(DateTimeOffset Start, RollupEntry Entry)> entries, DateTimeOffset from, DateTimeOffset to)
    {
        return Points(resolution, entries, BucketStart(resolution, from), to).ToDictionary(
            series => series.Key,
            series => series.Value.Aggregate(new MeasureStats(0, double.MaxValue, double.MinValue, 0),
                (total, p) => new MeasureStats(total.Count + p.Count, Math.Min(total.Min, p.Min), Math.Max(total.Max, p.Max), total.Sum + (p.Avg * p.Count))),
            StringComparer.Ordinal);
    }

    /// <summary>The start of the bucket <paramref name="at"/> falls in.</summary>
    public static DateTimeOffset BucketStart(Resolution resolution, DateTimeOffset at)
    {
        var size = BucketSize(resolution).Ticks;
        return new DateTimeOffset(at.UtcTicks - (at.UtcTicks % size), TimeSpan.Zero);
    }

    /// <summary>The chart points per measure for buckets starting in [<paramref name="from"/>, <paramref name="to"/>), oldest first.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<SeriesPoint>> Points(Resolution resolution,
        IEnumerable<(DateTimeOffset Start, RollupEntry Entry)> entries, DateTimeOffset from, DateTimeOffset to)
    {
        var series = new SortedDictionary<string, List<SeriesPoint>>(StringComparer.Ordinal);
        foreach (var (start, entry) in entries.OrderBy(e => e.Start))
        {
            foreach (var (slot, measures) in entry.Slots.OrderBy(s => s.Key))
            {
                var at = start + (BucketSize(resolution) * slot);
                if (at < from || at >= to) continue;
                foreach (var (name, stats) in measures)
                {
                    if (!series.TryGetValue(name, out var points)) series[name] = points = [];
                    points.Add(new SeriesPoint(at, stats.Count, stats.Min, stats.Max, stats.Average));
                }
            }
        }

        return series.ToDictionary(s => s.Key, s => (IReadOnlyList<SeriesPoint>)s.Value, StringComparer.Ordinal);
    }
}
