namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// When a timer or reminder fires: first at <see cref="NextDue"/>, then every <see cref="Period"/> while it
/// has repeats left and <see cref="ExpiresAt"/> (from <c>ttl</c>) has not passed. Mirrors daprd's
/// <c>setReminderTimes</c> / <c>TickExecuted</c>.
/// </summary>
internal sealed record ActorSchedule(DateTimeOffset NextDue, ActorPeriod Period, DateTimeOffset? ExpiresAt)
{
    /// <summary>Builds a schedule from the API fields. Throws <see cref="FormatException"/> with daprd's message.</summary>
    /// <param name="kind"><c>timer</c> or <c>reminder</c>, used in messages as daprd does.</param>
    /// <param name="key">The <c>type||id||name</c> key, used in the "already expired" message.</param>
    public static ActorSchedule Create(string kind, string key, string? dueTime, string? period, string? ttl, DateTimeOffset now)
    {
        var due = now;
        if (!string.IsNullOrEmpty(dueTime))
        {
            try { due = DaprTime.ParseTime(dueTime, now); }
            catch (FormatException e) { throw new FormatException($"error parsing {kind} due time: {e.Message}"); }
        }

        ActorPeriod parsed;
        try { parsed = ActorPeriod.Parse(period); }
        catch (FormatException e) { throw new FormatException($"invalid {kind} period: {e.Message}"); }

        DateTimeOffset? expires = null;
        if (!string.IsNullOrEmpty(ttl))
        {
            try { expires = DaprTime.ParseTime(ttl, due); }
            catch (FormatException e) { throw new FormatException($"error parsing {kind} TTL: {e.Message}"); }
            if (now > expires || due > expires)
                throw new FormatException($"{kind} {key} has already expired: dueTime: {due:O} TTL: {ttl}");
        }
        return new ActorSchedule(due, parsed, expires);
    }

    public bool IsActive => ExpiresAt is not { } expires || NextDue < expires;

    /// <summary>
    /// The schedule after a firing, or null when it is finished (no repeats left, or past its TTL).
    /// Missed periods (the runtime was down, or a callback took longer than the period) are skipped rather
    /// than fired in a burst, as the Scheduler-backed daprd does.
    /// </summary>
    public ActorSchedule? AfterFiring(DateTimeOffset now)
    {
        var period = Period.Repeats > 0 ? Period.WithRepeats(Period.Repeats - 1) : Period;
        if (!period.HasRepeats) return null;
        DateTimeOffset next;
        try
        {
            next = period.Following(NextDue);
        }
        catch (ArgumentOutOfRangeException)
        {
            // The next firing would fall after year 9999, beyond what a DateTimeOffset holds: none follows.
            return null;
        }
        if (next <= now && period is { Years: 0, Months: 0, Days: 0 })
            next += period.Duration * Math.Ceiling((now - next + TimeSpan.FromTicks(1)) / period.Duration);
        while (next <= now) next = period.Following(next);
        var following = new ActorSchedule(next, period, ExpiresAt);
        return following.IsActive ? following : null;
    }
}
