namespace DaprIoT.LocalRuntime.Tests;

/// <summary>Waits for a condition with a deadline instead of sleeping a fixed time.</summary>
public static class Poll
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not hold before the deadline");
            await Task.Delay(20, cancellationToken);
        }
    }

    public static Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), cancellationToken, timeout);

    /// <summary>Waits until <paramref name="condition"/> holds; on timeout the test fails saying what it waited for.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(condition, () => what, timeout);

    /// <summary>As above, with a description computed when the wait fails (to show what was seen instead).</summary>
    public static async Task UntilAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting until {what()}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
