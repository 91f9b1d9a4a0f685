using DaprIoT.Contracts.Events;

namespace DaprIoT.Statistics.Rollups;

/// <summary>
/// A run of readings one roll-up entry already contains: every position from <see cref="First"/> to <see cref="Last"/>,
/// both included (see <see cref="ReadingRanges.Position"/>).
/// </summary>
public sealed record ReadingRange(ulong First, ulong Last);

/// <summary>
/// Which readings of its device a roll-up entry already contains, so that a reading delivered again (a batch retried
/// after a partial write, redelivered after a crash or a timeout) changes nothing. A reading is known by its position
/// <c>(boot, seq)</c>, kept as sorted, disjoint, non-adjacent ranges.
/// <para>
/// Ranges, not a high-water mark: readings of one device may arrive out of order across redeliveries, and a mark would
/// take a late valid reading for one already counted. The device numbers every message it sends, not only telemetry, so
/// a state report or an acknowledgement between two readings leaves a gap of a seq or two; a lost telemetry message
/// leaves one too. An entry spans an hour (or a day), so it usually holds one range, with a few gaps.
/// </para>
/// <para>
/// Bounded: past <see cref="MaxRanges"/> the smallest gaps are closed (the oldest first among equals). A gap closed is
/// taken as applied, so a reading still missing in it would be ignored when it comes — the price of a bounded entry,
/// paid where it is least likely to matter: a gap of one or two seqs is almost always a message that is no telemetry.
/// </para>
/// </summary>
public sealed class ReadingRanges
{
    /// <summary>At most this many ranges per entry: 64 ranges are about 3 KB of JSON.</summary>
    public const int MaxRanges = 64;

    private readonly List<ReadingRange> _ranges;

    public ReadingRanges(IEnumerable<ReadingRange>? ranges = null)
    {
        // Stored ranges are ours and kept sorted; sorting again costs nothing at this size and survives a hand edit.
        _ranges = [.. (ranges ?? []).OrderBy(r => r.First)];
    }

    /// <summary>The ranges, oldest first.</summary>
    public IReadOnlyList<ReadingRange> Ranges => _ranges;

    /// <summary>How many positions the ranges cover (readings applied, plus the gaps closed to stay bounded).</summary>
    public ulong Covered => _ranges.Aggregate(0UL, (total, r) => total + (r.Last - r.First + 1));

    /// <summary>A reading's place in its device's order: boot first, then seq, as one number.</summary>
    public static ulong Position(uint boot, uint seq) => ((ulong)boot << 32) | seq;

    public static ulong Position(TelemetryReading reading) => Position(reading.Boot, reading.Seq);

    public bool Contains(ulong position)
    {
        var index = FirstEndingAtOrAfter(position);
        return index < _ranges.Count && _ranges[index].First <= position;
    }

    /// <summary>Adds a position; false when the entry already has it (the reading must not be counted again).</summary>
    public bool Add(ulong position)
    {
        var index = FirstEndingAtOrAfter(position);
        if (index < _ranges.Count && _ranges[index].First <= position) return false;

        // Ranges before index end below position, the one at index (if any) starts above it.
        var joinsPrevious = index > 0 && _ranges[index - 1].Last + 1 == position;
        var joinsNext = index < _ranges.Count && _ranges[index].First - 1 == position;
        if (joinsPrevious && joinsNext)
        {
            _ranges[index - 1] = new ReadingRange(_ranges[index - 1].First, _ranges[index].Last);
            _ranges.RemoveAt(index);
        }
        else if (joinsPrevious)
        {
            _ranges[index - 1] = _ranges[index - 1] with { Last = position };
        }
        else if (joinsNext)
        {
            _ranges[index] = _ranges[index] with { First = position };
        }
        else
        {
            _ranges.Insert(index, new ReadingRange(position, position));
        }

        return true;
    }

    /// <summary>
    /// Closes the smallest gaps (the oldest first among equals) until at most <paramref name="maxRanges"/> ranges are
    /// left; returns how many positions were closed over.
    /// </summary>
    public ulong Compact(int maxRanges = MaxRanges)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRanges, 1);
        ulong closed = 0;
        while (_ranges.Count > maxRanges)
        {
            var smallest = 0;
            for (var i = 1; i < _ranges.Count - 1; i++)
            {
                if (Gap(i) < Gap(smallest)) smallest = i;
            }

            closed += Gap(smallest);
            _ranges[smallest] = new ReadingRange(_ranges[smallest].First, _ranges[smallest + 1].Last);
            _ranges.RemoveAt(smallest + 1);
        }

        return closed;
    }

    // The positions missing between range i and range i + 1.
    private ulong Gap(int i) => _ranges[i + 1].First - _ranges[i].Last - 1;

    // The index of the first range whose last position is at or after position (Count when none is).
    private int FirstEndingAtOrAfter(ulong position)
    {
        int low = 0, high = _ranges.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (_ranges[middle].Last < position) low = middle + 1;
            else high = middle;
        }

        return low;
    }
}
