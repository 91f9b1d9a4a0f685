namespace DaprIoT.TestSupport;

/// <summary>Polls an observation until it satisfies a condition, with a deadline instead of a fixed sleep.</summary>
public static class Eventually
{
    /// <summary>
    /// Observes every 100 ms until <paramref name="done"/> holds and returns that observation. On timeout the test
    /// fails with <paramref name="what"/> and the last observation as <paramref name="describe"/> renders it.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<CancellationToken, Task<T>> observe, Func<T, bool> done, string what,
        Func<T, string> describe, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var observed = await observe(cancellationToken);
            if (done(observed)) return observed;
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}; last seen: {describe(observed)}");
            await Task.Delay(100, cancellationToken);
        }
    }
}
