using System.Globalization;
using DaprIoT.Statistics.Rollups;

namespace DaprIoT.Statistics.Api;

/// <summary>A checked series query: <see cref="From"/> is rounded down to its bucket; the span is within the retention.</summary>
public sealed record SeriesQuery(Resolution Resolution, DateTimeOffset From, DateTimeOffset To)
{
    /// <summary>The query, or the errors by parameter name when it is not valid.</summary>
    public static (SeriesQuery? Query, Dictionary<string, string[]> Errors) Parse(string? resolution, string? from, string? to, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Resolution? parsed = resolution switch
        {
            null or "" or "minute" => Rollups.Resolution.Minute,
            "hour" => Rollups.Resolution.Hour,
            _ => null,
        };
        if (parsed is not { } res)
        {
            errors["resolution"] = ["Use \"minute\" or \"hour\"."];
            return (null, errors);
        }

        var toTime = Time(to, "to", errors) ?? now;
        var fromTime = Time(from, "from", errors) ?? toTime - (res == Rollups.Resolution.Minute ? TimeSpan.FromHours(1) : TimeSpan.FromHours(24));
        if (errors.Count > 0) return (null, errors);

        if (fromTime >= toTime)
        {
            errors["from"] = ["\"from\" must be before \"to\"."];
        }
        else if (toTime - fromTime > RollupPlan.Retention(res))
        {
            errors["from"] = [$"A {res.ToString().ToLowerInvariant()} series spans at most {RollupPlan.Retention(res).TotalHours.ToString(CultureInfo.InvariantCulture)} hours."];
        }

        if (errors.Count > 0) return (null, errors);
        return (new SeriesQuery(res, RollupPlan.BucketStart(res, fromTime), toTime.ToUniversalTime()), errors);
    }

    private static DateTimeOffset? Time(string? text, string name, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return time;
        errors[name] = [$"\"{name}\" must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z."];
        return null;
    }
}
