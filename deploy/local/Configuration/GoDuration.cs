using System.Globalization;
using System.Text.RegularExpressions;

namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>
/// Durations as Dapr writes them in YAML: Go's <c>time.ParseDuration</c> syntax (<c>1h2m3.5s</c>,
/// <c>250ms</c>, <c>10us</c>), plus a bare number meaning seconds, which several components accept.
/// </summary>
public static partial class GoDuration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        text = text.Trim();
        if (text.Length == 0) return false;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            value = TimeSpan.FromSeconds(seconds);
            return seconds >= 0;
        }
        var negative = text.StartsWith('-');
        var body = negative || text.StartsWith('+') ? text[1..] : text;
        var matches = Part().Matches(body);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != body) return false;
        double ticks = 0;
        foreach (Match m in matches)
        {
            var number = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            ticks += m.Groups[2].Value switch
            {
                "h" => number * TimeSpan.TicksPerHour,
                "m" => number * TimeSpan.TicksPerMinute,
                "s" => number * TimeSpan.TicksPerSecond,
                "ms" => number * TimeSpan.TicksPerMillisecond,
                "us" or "µs" => number * 10,
                _ => number / 100, // ns
            };
        }
        value = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }

    [GeneratedRegex(@"(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)")]
    private static partial Regex Part();
}
