namespace DaprIoT.LocalRuntime.Redis;

/// <summary>
/// A small Redis client speaking RESP2 over one pipelined connection, reopened on the next call after a
/// failure. No .NET Redis client restores from our package feed, so this one is ours: it does only what the
/// runtime's state store and pub/sub need. Blocking commands (<c>XREADGROUP … BLOCK</c>) hold the connection
/// until they return, so give them a client of their own.
/// </summary>
public sealed class RedisClient : IAsyncDisposable
{
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private RedisConnection? _connection;
    private bool _disposed;

    public RedisClient(RedisOptions options) => Options = options;

    public RedisOptions Options { get; }

    /// <summary>Creates a client and opens its connection, so a wrong address fails here.</summary>
    public static async Task<RedisClient> ConnectAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        var client = new RedisClient(options);
        await client.GetConnectionAsync(cancellationToken);
        return client;
    }

    /// <summary>Runs one command, e.g. <c>ExecuteAsync(["HSET", key, "data", bytes], ct)</c>. Error replies throw <see cref="RedisServerException"/>.</summary>
    public async Task<RespValue> ExecuteAsync(IReadOnlyList<object> command, CancellationToken cancellationToken)
    {
        var reply = (await ExecuteBatchAsync([command], cancellationToken))[0];
        return reply.Type == RespType.Error ? throw new RedisServerException(reply.Text!) : reply;
    }

    /// <summary>Shorthand for <see cref="ExecuteAsync(IReadOnlyList{object}, CancellationToken)"/> without cancellation.</summary>
    public Task<RespValue> ExecuteAsync(params object[] command) => ExecuteAsync(command, CancellationToken.None);

    /// <summary>
    /// Sends several commands back to back with nothing interleaved (so <c>MULTI … EXEC</c> is safe) and returns
    /// every reply; error replies are returned, not thrown, because callers of a batch inspect each one.
    /// </summary>
    public async Task<RespValue[]> ExecuteBatchAsync(IReadOnlyList<IReadOnlyList<object>> commands, CancellationToken cancellationToken)
    {
        var connection = await GetConnectionAsync(cancellationToken);
        return await connection.SendAsync(commands, cancellationToken);
    }

    private async ValueTask<RedisConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsBroken: false } current) return current;
        await _connectGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { IsBroken: false } reopened) return reopened;
            if (_connection is { } broken) await broken.DisposeAsync();
            _connection = await RedisConnection.OpenAsync(Options, cancellationToken);
            return _connection;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connectGate.WaitAsync();
        try
        {
            _disposed = true;
            if (_connection is { } connection) await connection.DisposeAsync();
            _connection = null;
        }
        finally
        {
            _connectGate.Release();
        }
    }
}
