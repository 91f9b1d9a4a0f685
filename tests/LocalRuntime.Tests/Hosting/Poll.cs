namespace DaprIoT.LocalRuntime.Tests.Hosting;

/// <summary>Waits for a condition with a deadline instead of sleeping a fixed time.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException($"condition not met within {within}");
            await Task.Delay(25, cancellationToken);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline) throw new TimeoutException($"condition not met within {within}");
            await Task.Delay(25, cancellationToken);
        }
    }
}
