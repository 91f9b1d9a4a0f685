using System.Globalization;
using System.Text.RegularExpressions;

namespace DaprIoT.LocalRuntime.Resiliency;

/// <summary>
/// A circuit breaker's <c>trip</c> expression. daprd evaluates it as CEL over the counts <c>requests</c>,
/// <c>totalSuccesses</c>, <c>totalFailures</c>, <c>consecutiveSuccesses</c> and <c>consecutiveFailures</c>; the
/// expressions Resiliency files use are comparisons of those with whole numbers joined by <c>&amp;&amp;</c> and
/// <c>||</c> (e.g. <c>consecutiveFailures &gt;= 5</c>), which is what this reads. Anything else is refused at load time.
/// </summary>
public sealed partial class TripCondition
{
    private readonly List<List<(string Count, string Operator, int Value)>> _anyOf;

    private TripCondition(string text, List<List<(string, string, int)>> anyOf)
    {
        Text = text;
        _anyOf = anyOf;
    }

    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>; returns null and says why when it is not such an expression.</summary>
    public static TripCondition? Parse(string text, out string? problem)
    {
        problem = null;
        var anyOf = new List<List<(string, string, int)>>();
        foreach (var alternative in text.Split("||"))
        {
            var allOf = new List<(string, string, int)>();
            foreach (var term in alternative.Split("&&"))
            {
                var match = Comparison().Match(term.Trim().Trim('(', ')').Trim());
                if (!match.Success)
                {
                    problem = $"'{term.Trim()}' is not a comparison such as consecutiveFailures >= 5 of requests, totalSuccesses, totalFailures, consecutiveSuccesses or consecutiveFailures";
                    return null;
                }
                allOf.Add((match.Groups["count"].Value, match.Groups["op"].Value, int.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
            }
            anyOf.Add(allOf);
        }
        return new TripCondition(text, anyOf);
    }

    public bool Holds(BreakerCounts counts) => _anyOf.Any(allOf => allOf.All(term => Compare(Value(counts, term.Count), term.Operator, term.Value)));

    private static int Value(BreakerCounts counts, string name) => name switch
    {
        "requests" => counts.Requests,
        "totalSuccesses" => counts.TotalSuccesses,
        "totalFailures" => counts.TotalFailures,
        "consecutiveSuccesses" => counts.ConsecutiveSuccesses,
        _ => counts.ConsecutiveFailures,
    };

    private static bool Compare(int left, string op, int right) => op switch
    {
        ">" => left > right,
        ">=" => left >= right,
        "<" => left < right,
        "<=" => left <= right,
        "==" => left == right,
        _ => left != right,
    };

    [GeneratedRegex(@"^(?<count>requests|totalSuccesses|totalFailures|consecutiveSuccesses|consecutiveFailures)\s*(?<op>>=|<=|==|!=|>|<)\s*(?<value>\d+)$")]
    private static partial Regex Comparison();
}
