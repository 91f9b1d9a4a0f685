using StackExchange.Redis;

namespace DaprIoT.LocalRuntime.Tests;

/// <summary>Connections for tests that look at, change or clean up what the runtime keeps in a real Redis.</summary>
public static class TestRedis
{
    /// <summary>The shared redis-server every test may use (never flushed or restarted).</summary>
    public const string Shared = "127.0.0.1:6379";

    /// <summary>Connects to <paramref name="endpoint"/>, with admin commands (<c>SCRIPT FLUSH</c>) allowed; fails if it is down.</summary>
    public static Task<ConnectionMultiplexer> ConnectAsync(string endpoint = Shared) =>
        ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { endpoint }, AllowAdmin = true });

    /// <summary>Deletes every key matching <paramref name="pattern"/> (a <c>KEYS</c> glob).</summary>
    public static async Task DeleteKeysAsync(IDatabase redis, string pattern)
    {
        var keys = (RedisKey[]?)await redis.ExecuteAsync("KEYS", pattern) ?? [];
        if (keys.Length > 0) await redis.KeyDeleteAsync(keys);
    }
}
