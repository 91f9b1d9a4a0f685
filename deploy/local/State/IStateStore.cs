namespace DaprIoT.LocalRuntime.State;

public enum StateConcurrency { LastWrite, FirstWrite }

/// <summary>
/// A stored value and its ETag. Values are the raw bytes the app sent (JSON as written).
/// <paramref name="ExpiresAt"/> is set when the item has a TTL (daprd reports it as <c>ttlExpireTime</c>).
/// </summary>
public sealed record StateItem(byte[] Value, string ETag, DateTimeOffset? ExpiresAt = null);

/// <summary>One write in a save or a transaction. Keys are full store keys (prefix already applied).</summary>
public abstract record StateOperation(string Key, string? ETag, StateConcurrency Concurrency);

/// <summary>
/// Writes a value. <paramref name="Ttl"/>: null applies the store's default (the component's <c>ttlInSeconds</c>
/// on Redis, none in memory; Redis, like daprd's store, then keeps an expiry the key already had); zero or negative
/// removes any expiry (daprd's <c>ttlInSeconds: -1</c>); positive expires the item after that long.
/// </summary>
public sealed record StateSet(string Key, byte[] Value, string? ETag = null,
    StateConcurrency Concurrency = StateConcurrency.LastWrite, TimeSpan? Ttl = null)
    : StateOperation(Key, ETag, Concurrency);

public sealed record StateDelete(string Key, string? ETag = null,
    StateConcurrency Concurrency = StateConcurrency.LastWrite)
    : StateOperation(Key, ETag, Concurrency);

/// <summary>
/// A state store component. ETag rules follow Dapr: with last-write, no ETag writes unconditionally and
/// an ETag must match; with first-write, no ETag means "only if the key does not exist yet".
/// A mismatch throws <see cref="EtagMismatchException"/> and changes nothing; an ETag the store could never have
/// issued may throw <see cref="EtagInvalidException"/> instead (Redis ETags are integers).
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    string Name { get; }

    Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken);

    Task SetAsync(StateSet operation, CancellationToken cancellationToken);

    Task DeleteAsync(StateDelete operation, CancellationToken cancellationToken);

    /// <summary>
    /// Applies every operation or none of them. Operations apply in order, so a later operation on the same key
    /// sees the earlier one (its ETag must match the version the earlier write produced).
    /// </summary>
    Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken);
}

public sealed class EtagMismatchException(string key, string? etag)
    : Exception($"ETag '{etag}' does not match the current version of key '{key}'")
{
    public string Key { get; } = key;
}
