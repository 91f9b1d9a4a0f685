using System.Text.Json;
using DaprIoT.Dapr.Client;

namespace DaprIoT.Dapr.Actors;

/// <summary>
/// An actor's state, cached for the activation. Reads go to the sidecar once per key; writes stay in the cache until
/// the end of the call, when they are saved in one actor state transaction (or discarded if the call failed).
/// </summary>
public sealed class ActorStateManager
{
    private readonly DaprSidecarClient _sidecar;
    private readonly string _actorType;
    private readonly string _actorId;
    private readonly Dictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    internal ActorStateManager(DaprSidecarClient sidecar, string actorType, string actorId)
    {
        _sidecar = sidecar;
        _actorType = actorType;
        _actorId = actorId;
    }

    private JsonSerializerOptions Json => _sidecar.JsonSerializerOptions;

    /// <exception cref="KeyNotFoundException">The actor has no state under <paramref name="name"/>.</exception>
    public async Task<T> GetStateAsync<T>(string name, CancellationToken cancellationToken = default)
    {
        var result = await TryGetStateAsync<T>(name, cancellationToken);
        return result.HasValue
            ? result.Value!
            : throw new KeyNotFoundException($"Actor {_actorType}/{_actorId} has no state named '{name}'. Use TryGetStateAsync or GetOrAddStateAsync when it may be missing.");
    }

    public async Task<ConditionalValue<T>> TryGetStateAsync<T>(string name, CancellationToken cancellationToken = default)
    {
        var entry = await LoadAsync(name, cancellationToken);
        return entry.Exists ? new ConditionalValue<T>(true, Convert<T>(entry.Value)) : ConditionalValue<T>.None;
    }

    public async Task<bool> ContainsStateAsync(string name, CancellationToken cancellationToken = default) =>
        (await LoadAsync(name, cancellationToken)).Exists;

    public async Task<T> GetOrAddStateAsync<T>(string name, T value, CancellationToken cancellationToken = default)
    {
        var existing = await TryGetStateAsync<T>(name, cancellationToken);
        if (existing.HasValue)
        {
            return existing.Value!;
        }

        await SetStateAsync(name, value, cancellationToken);
        return value;
    }

    public Task SetStateAsync<T>(string name, T value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _cache[name] = new Entry(value, Exists: true, Dirty: true);
        return Task.CompletedTask;
    }

    /// <summary>Removes the key at the end of the call (removing a key that does not exist is not an error).</summary>
    public Task RemoveStateAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _cache[name] = new Entry(null, Exists: false, Dirty: true);
        return Task.CompletedTask;
    }

    /// <summary>Saves pending changes now (the runtime also does this at the end of every call).</summary>
    public async Task SaveStateAsync(CancellationToken cancellationToken = default)
    {
        var changed = _cache.Where(pair => pair.Value.Dirty).ToList();
        if (changed.Count == 0)
        {
            return;
        }

        var operations = changed
            .Select(pair => pair.Value.Exists ? ActorStateOperation.Upsert(pair.Key, pair.Value.Value) : ActorStateOperation.Delete(pair.Key))
            .ToList();
        await _sidecar.ExecuteActorStateTransactionAsync(_actorType, _actorId, operations, cancellationToken);
        foreach (var (name, entry) in changed)
        {
            // Keep a JSON snapshot, so objects a caller mutates later without SetStateAsync cannot drift from what was saved.
            var snapshot = entry.Exists ? JsonSerializer.SerializeToElement(entry.Value, entry.Value?.GetType() ?? typeof(object), Json) : (object?)null;
            _cache[name] = new Entry(snapshot, entry.Exists, Dirty: false);
        }
    }

    /// <summary>Forgets unsaved changes, so a failed call leaves no trace in the cache.</summary>
    internal void DiscardChanges()
    {
        foreach (var name in _cache.Where(pair => pair.Value.Dirty).Select(pair => pair.Key).ToList())
        {
            _cache.Remove(name);
        }
    }

    private async Task<Entry> LoadAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_cache.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var json = await _sidecar.GetActorStateJsonAsync(_actorType, _actorId, name, cancellationToken);
        var entry = new Entry(json, Exists: json is not null, Dirty: false);
        _cache[name] = entry;
        return entry;
    }

    private T? Convert<T>(object? value) => value switch
    {
        T typed => typed,
        JsonElement element => element.Deserialize<T>(Json),
        null => default,
        _ => JsonSerializer.SerializeToElement(value, value.GetType(), Json).Deserialize<T>(Json),
    };

    private sealed record Entry(object? Value, bool Exists, bool Dirty);
}
