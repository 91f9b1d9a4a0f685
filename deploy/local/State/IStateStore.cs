namespace DaprIoT.LocalRuntime.State;

public enum StateConcurrency { LastWrite, FirstWrite }

/// <summary>A stored value and its ETag. Values are the raw bytes the app sent (JSON as written).</summary>
public sealed record StateItem(byte[] Value, string ETag);

/// <summary>One write in a save or a transaction. Keys are full store keys (prefix already applied).</summary>
public abstract record StateOperation(string Key, string? ETag, StateConcurrency Concurrency);

public sealed record StateSet(string Key, byte[] Value, string? ETag = null,
    StateConcurrency Concurrency = StateConcurrency.LastWrite, TimeSpan? Ttl = null)
    : StateOperation(Key, ETag, Concurrency);

public sealed record StateDelete(string Key, string? ETag = null,
    StateConcurrency Concurrency = StateConcurrency.LastWrite)
    : StateOperation(Key, ETag, Concurrency);

/// <summary>
/// A state store component. ETag rules follow Dapr: with last-write, no ETag writes unconditionally and
/// an ETag must match; with first-write, no ETag means "only if the key does not exist yet".
/// A mismatch throws <see cref="EtagMismatchException"/> and changes nothing.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    string Name { get; }

    Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken);

    Task SetAsync(StateSet operation, CancellationToken cancellationToken);

    Task DeleteAsync(StateDelete operation, CancellationToken cancellationToken);

    /// <summary>Applies every operation or none of them.</summary>
    Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken);
}

public sealed class EtagMismatchException(string key, string? etag)
    : Exception($"ETag '{etag}' does not match the current version of key '{key}'")
{
    public string Key { get; } = key;
}
