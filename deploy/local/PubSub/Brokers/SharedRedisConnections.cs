using StackExchange.Redis;

namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>
/// One multiplexer per Redis server (address, database, credentials) for every <c>pubsub.redis</c> component of
/// every sidecar in this process, closed when the last one lets go. Besides saving connections, this puts each
/// local publish and each local consumer's read on one connection, where Redis runs commands in the order they
/// were sent: a consumer woken as soon as a publish has queued its <c>XADD</c> reads after it
/// (see <see cref="RedisStreamsBroker.PublishAsync"/>).
/// </summary>
internal static class SharedRedisConnections
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<string, (ConnectionMultiplexer Redis, int Users)> Open = new();

    /// <summary>The shared multiplexer for <paramref name="options"/>, connecting it first if nobody holds it.</summary>
    public static async Task<Lease> AcquireAsync(ConfigurationOptions options)
    {
        var key = options.ToString(includePassword: true);
        await Gate.WaitAsync();
        try
        {
            if (Open.TryGetValue(key, out var open))
            {
                Open[key] = (open.Redis, open.Users + 1);
                return new Lease(key, open.Redis);
            }
            // Not cancellable: the attempt ends within ConnectTimeout, and an abandoned multiplexer would leak.
            var redis = await ConnectionMultiplexer.ConnectAsync(options);
            Open[key] = (redis, 1);
            return new Lease(key, redis);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>One holder's use of a shared multiplexer; disposing it closes the multiplexer if it was the last.</summary>
    public sealed class Lease(string key, ConnectionMultiplexer redis) : IAsyncDisposable
    {
        private int _released;

        public IConnectionMultiplexer Redis => redis;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            ConnectionMultiplexer? last = null;
            await Gate.WaitAsync();
            try
            {
                var open = Open[key];
                if (open.Users > 1) Open[key] = (open.Redis, open.Users - 1);
                else
                {
                    Open.Remove(key);
                    last = open.Redis;
                }
            }
            finally
            {
                Gate.Release();
            }
            if (last is not null) await last.DisposeAsync();
        }
    }
}
