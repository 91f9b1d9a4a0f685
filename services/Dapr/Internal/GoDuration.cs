using System.Globalization;
using System.Text;

namespace DaprIoT.Dapr.Internal;

/// <summary>Formats durations the way Go's <c>time.Duration.String()</c> does, which daprd parses with <c>time.ParseDuration</c>.</summary>
internal static class GoDuration
{
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var builder = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            builder.Append('-');
            value = value.Duration();
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            builder.Append(value.TotalMilliseconds.ToString("0.####", CultureInfo.InvariantCulture)).Append("ms");
            return builder.ToString();
        }

        var hours = (long)value.TotalHours;
        var seconds = (value.Ticks % TimeSpan.TicksPerMinute) / (double)TimeSpan.TicksPerSecond;
        var secondsText = seconds.ToString("0.#######", CultureInfo.InvariantCulture) + "s";
        if (hours > 0)
        {
            builder.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h').Append(value.Minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }
        else if (value.Minutes > 0)
        {
            builder.Append(value.Minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        return builder.Append(secondsText).ToString();
    }
}
