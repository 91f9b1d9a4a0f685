namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>Polls a condition until it holds or a deadline passes: synchronisation without guessing sleeps.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan within, CancellationToken cancellationToken, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {within.TotalSeconds} s: {what}");
            await Task.Delay(20, cancellationToken);
        }
    }
}
