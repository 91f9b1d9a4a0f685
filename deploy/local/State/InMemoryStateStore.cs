using System.Globalization;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// <c>state.in-memory</c>: one sidecar's private store, lost when the runtime stops (as in daprd).
/// ETags are per-key version numbers; one lock keeps transactions atomic.
/// </summary>
public sealed class InMemoryStateStore(string name, TimeProvider clock) : IStateStore
{
    private sealed record Entry(byte[] Value, long Version, DateTimeOffset? ExpiresAt);

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public string Name { get; } = name;

    public Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Live(key) is { } entry
                ? new StateItem(entry.Value, entry.Version.ToString(CultureInfo.InvariantCulture), entry.ExpiresAt)
                : null);
        }
    }

    public Task SetAsync(StateSet operation, CancellationToken cancellationToken) =>
        TransactAsync([operation], cancellationToken);

    public Task DeleteAsync(StateDelete operation, CancellationToken cancellationToken) =>
        TransactAsync([operation], cancellationToken);

    public Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // Operations apply in order; on a mismatch the touched keys are put back as they were.
            var before = new Dictionary<string, Entry?>(StringComparer.Ordinal);
            try
            {
                foreach (var operation in operations)
                {
                    var current = Live(operation.Key);
                    before.TryAdd(operation.Key, current);
                    Check(operation, current);
                    switch (operation)
                    {
                        case StateSet set:
                            var expiresAt = set.Ttl is { } ttl && ttl > TimeSpan.Zero ? clock.GetUtcNow() + ttl : (DateTimeOffset?)null;
                            _entries[set.Key] = new Entry(set.Value, (current?.Version ?? 0) + 1, expiresAt);
                            break;
                        case StateDelete delete:
                            _entries.Remove(delete.Key);
                            break;
                    }
                }
            }
            catch
            {
                foreach (var (key, entry) in before)
                {
                    if (entry is null) _entries.Remove(key);
                    else _entries[key] = entry;
                }
                throw;
            }
        }
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static void Check(StateOperation operation, Entry? current)
    {
        var etag = string.IsNullOrEmpty(operation.ETag) ? null : operation.ETag;
        var matches = etag switch
        {
            null when operation.Concurrency == StateConcurrency.FirstWrite && operation is StateSet => current is null,
            null => true,
            _ => current is not null && current.Version.ToString(CultureInfo.InvariantCulture) == etag,
        };
        if (!matches) throw new EtagMismatchException(operation.Key, etag);
    }

    private Entry? Live(string key)
    {
        if (!_entries.TryGetValue(key, out var entry)) return null;
        if (entry.ExpiresAt is { } at && at <= clock.GetUtcNow())
        {
            _entries.Remove(key);
            return null;
        }
        return entry;
    }
}
