namespace DaprIoT.LocalRuntime.Resiliency;

public enum RetryBackoff { Constant, Exponential }

/// <summary>
/// A <c>spec.policies.retries</c> entry of a Resiliency resource. <see cref="MaxRetries"/> of -1 retries
/// forever (Dapr's default); 0 means no retry. Exponential backoff starts at 500 ms, grows ×1.5 with
/// 0.5–1.5 jitter and is capped at <see cref="MaxInterval"/>, as in daprd.
/// </summary>
public sealed record RetryPolicy(
    string Name,
    RetryBackoff Backoff,
    TimeSpan Duration,
    TimeSpan MaxInterval,
    int MaxRetries)
{
    public static RetryPolicy None { get; } = new("none", RetryBackoff.Constant, TimeSpan.Zero, TimeSpan.Zero, 0);

    /// <summary>The wait before retry number <paramref name="attempt"/> (1 = the first retry).</summary>
    public TimeSpan DelayBefore(int attempt, Random? random = null)
    {
        if (Backoff == RetryBackoff.Constant) return Duration;
        random ??= Random.Shared;
        var interval = 0.5 * Math.Pow(1.5, attempt - 1);
        var jittered = interval * (0.5 + random.NextDouble());
        return TimeSpan.FromSeconds(Math.Min(jittered, MaxInterval.TotalSeconds));
    }

    /// <summary>Whether another retry is allowed after <paramref name="retriesDone"/> retries.</summary>
    public bool AllowsRetry(int retriesDone) => MaxRetries < 0 || retriesDone < MaxRetries;
}
