using System.Globalization;
using System.Text.RegularExpressions;
using DaprIoT.LocalRuntime.Configuration;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// The time formats daprd accepts for actor timers and reminders (dapr/kit <c>time</c>): ISO 8601 durations
/// with an optional repetition prefix, Go durations, and RFC 3339 timestamps. The ISO parser follows kit's
/// hand-written one, quirks included, so the same strings are accepted and rejected.
/// </summary>
internal static partial class DaprTime
{
    public readonly record struct IsoDuration(int Years, int Months, int Days, TimeSpan Time, int Repetitions, bool HasDateDesignators);

    public static bool TryParseIso8601(string text, out IsoDuration value)
    {
        value = default;
        int years = 0, months = 0, days = 0, repetitions = -1;
        var time = TimeSpan.Zero;
        var dateDesignators = false;
        var length = text.Length;
        if (length < 2) return false;

        var i = 0;
        if (text[0] == 'R')
        {
            do { i++; } while (i < length && text[i] != '/');
            if (i - 1 < 1 || !int.TryParse(text.AsSpan(1, i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out repetitions))
                return false;
            i++;
            if (i >= length)
            {
                value = new IsoDuration(0, 0, 0, TimeSpan.Zero, repetitions, false);
                return true;
            }
        }

        if (text[i] != 'P') return false;
        i++;
        var start = i;
        var parsingTime = false;
        for (; i < length; i++)
        {
            var c = text[i];
            if (c == 'T')
            {
                if (start != i) return false;
                parsingTime = true;
                start = i + 1;
                continue;
            }
            if (c is not ('Y' or 'W' or 'D' or 'H' or 'S' or 'M')) continue;
            var datePart = c is 'Y' or 'W' or 'D' || (c == 'M' && !parsingTime);
            if (start == i || (datePart && parsingTime) || (c is 'H' or 'S' && !parsingTime)) return false;
            if (!int.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                return false;
            switch (c)
            {
                case 'Y': years = number; break;
                case 'W': days += number * 7; break;
                case 'D': days += number; break;
                case 'H': time += TimeSpan.FromHours(number); break;
                case 'S': time += TimeSpan.FromSeconds(number); break;
                case 'M' when parsingTime: time += TimeSpan.FromMinutes(number); break;
                case 'M': months = number; break;
            }
            dateDesignators |= datePart;
            start = i + 1;
        }
        value = new IsoDuration(years, months, days, time, repetitions, dateDesignators);
        return true;
    }

    /// <summary>
    /// Go's <c>time.ParseDuration</c>: every number needs a unit, except a lone <c>0</c>; and the result must fit
    /// Go's int64 nanoseconds (about 292 years), or Go answers "invalid duration".
    /// </summary>
    public static bool TryParseGo(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text is "0" or "+0" or "-0") return true;
        return GoSyntax().IsMatch(text) && GoDuration.TryParse(text, out value)
            && value <= GoMaxDuration && value >= -GoMaxDuration;
    }

    private static readonly TimeSpan GoMaxDuration = TimeSpan.FromTicks(long.MaxValue / TimeSpan.NanosecondsPerTick);

    /// <summary>
    /// daprd's <c>ParseTime</c>: an ISO 8601 duration (no repetitions) or Go duration counted from
    /// <paramref name="offset"/>, or an absolute RFC 3339 timestamp.
    /// </summary>
    public static DateTimeOffset ParseTime(string text, DateTimeOffset offset)
    {
        try
        {
            if (TryParseIso8601(text, out var iso))
            {
                if (iso.Repetitions != -1) throw new FormatException("repetitions are not allowed");
                return offset.AddYears(iso.Years).AddMonths(iso.Months).AddDays(iso.Days) + iso.Time;
            }
            if (TryParseGo(text, out var duration)) return offset + duration;
        }
        catch (ArgumentOutOfRangeException)
        {
            // Go's time reaches far beyond .NET's: daprd would take it, but no DateTimeOffset can hold the result.
            throw new FormatException($"{text} from {offset:O} falls outside years 1 to 9999, the times dapr-local can schedule");
        }
        if (Rfc3339().IsMatch(text) &&
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
            return at;
        throw new FormatException($"unsupported time/duration format: {text}");
    }

    [GeneratedRegex(@"^[-+]?(\d*\.?\d*(ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex GoSyntax();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
