namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// A parsed timer or reminder <c>period</c>: a Go duration or an ISO 8601 duration <c>[Rn/]PnYnMnWnDTnHnMnS</c>.
/// <see cref="Repeats"/> is the number of firings left (-1 = unlimited), as in daprd's <c>ReminderPeriod</c>.
/// </summary>
internal readonly record struct ActorPeriod(
    string Text, int Years, int Months, int Days, TimeSpan Duration, int Repeats, bool HasDateDesignators)
{
    public static ActorPeriod None { get; } = new("", 0, 0, 0, TimeSpan.Zero, -1, false);

    /// <summary>Whether another firing follows the current one (daprd: repeats left and a non-zero period).</summary>
    public bool HasRepeats => Repeats != 0 && (Years != 0 || Months != 0 || Days != 0 || Duration != TimeSpan.Zero);

    public DateTimeOffset Following(DateTimeOffset time) =>
        time.AddYears(Years).AddMonths(Months).AddDays(Days) + Duration;

    public ActorPeriod WithRepeats(int repeats) => this with { Repeats = repeats };

    /// <summary>Parses a period as daprd does (ISO 8601 first, then Go). Throws <see cref="FormatException"/> with daprd's wording.</summary>
    public static ActorPeriod Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return None;
        if (DaprTime.TryParseIso8601(text, out var iso))
        {
            if (iso.Repetitions == 0) throw new FormatException("has zero repetitions");
            return new ActorPeriod(text, iso.Years, iso.Months, iso.Days, iso.Time, iso.Repetitions, iso.HasDateDesignators);
        }
        if (DaprTime.TryParseGo(text, out var duration))
        {
            // Go accepts negative durations; a negative period would make the schedule run backwards.
            if (duration < TimeSpan.Zero) throw new FormatException($"parse error: negative period: {text}");
            return new ActorPeriod(text, 0, 0, 0, duration, -1, false);
        }
        throw new FormatException($"parse error: unsupported duration format: {text}");
    }
}
