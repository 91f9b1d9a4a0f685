namespace DaprIoT.LocalRuntime.Tests;

/// <summary>Waits for a condition with a deadline instead of sleeping a fixed time.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not hold before the deadline");
            await Task.Delay(20, cancellationToken);
        }
    }

    public static Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), cancellationToken, timeout);
}
