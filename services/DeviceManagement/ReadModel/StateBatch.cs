using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;

namespace DaprIoT.DeviceManagement.ReadModel;

/// <summary>
/// The state entries one batch of device events touches: read in bulk with their ETags (one <c>GetBulkState</c> per
/// <see cref="ReadAsync"/>, only for keys not read yet), changed in memory, and written back as one state transaction in
/// which every write carries the ETag it was read with. A transaction that fails leaves the batch to be read and
/// applied again; nothing here retries.
/// </summary>
internal sealed class StateBatch(DaprClient dapr, string storeName)
{
    private static readonly StateOptions Checked = new() { Concurrency = ConcurrencyMode.FirstWrite };

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// One entry: as stored (JSON text, empty when missing, and its ETag) and as the batch leaves it: a value to write
    /// as JSON, or JSON to write as it is.
    /// </summary>
    private sealed class Entry(string stored, string etag)
    {
        public string Stored { get; } = stored;

        public string ETag { get; } = etag;

        public bool Deserialized { get; set; }

        public object? Value { get; set; }

        public Type? ValueType { get; set; }

        public byte[]? Json { get; set; }

        public bool Changed { get; set; }

        public IReadOnlyDictionary<string, string>? Metadata { get; set; }
    }

    /// <summary>Reads the keys not read yet, all in one bulk read; no call when every key was read already.</summary>
    public async Task ReadAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        var missing = keys.Where(key => !_entries.ContainsKey(key)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count == 0) return;
        // The raw text, not GetBulkStateAsync<T>: one read holds entries of several types, and the text tells at commit
        // whether a change changed anything.
        var items = await dapr.GetBulkStateAsync(storeName, missing, parallelism: null, cancellationToken: cancellationToken);
        foreach (var item in items) _entries[item.Key] = new Entry(item.Value ?? "", item.ETag ?? "");
        // The sidecar answers every key it was asked; one it left out is treated as missing, which its write then checks.
        foreach (var key in missing) _entries.TryAdd(key, new Entry("", ""));
    }

    /// <summary>The entry as the batch has it so far; null when missing or deleted. The key must have been read.</summary>
    /// <remarks>
    /// The stored JSON is read as <typeparamref name="T"/> once, which may be a part of what is stored (a type with only
    /// some of its properties). The entry is then always asked for as that type, and not after it was set as JSON.
    /// </remarks>
    public T? Get<T>(string key) where T : class
    {
        var entry = Find(key);
        if (!entry.Deserialized)
        {
            entry.Value = entry.Stored.Length == 0 ? null : JsonSerializer.Deserialize<T>(entry.Stored, dapr.JsonSerializerOptions);
            entry.ValueType = typeof(T);
            entry.Deserialized = true;
        }

        if (entry.Json is not null || entry.Value is not (null or T))
            throw new InvalidOperationException($"State entry '{key}' is asked for as {typeof(T).Name}, but the batch holds it as {(entry.Json is null ? entry.ValueType?.Name : "JSON")}.");
        return (T?)entry.Value;
    }

    /// <summary>Sets the entry; <paramref name="metadata"/> (e.g. <c>ttlInSeconds</c>) goes with its write.</summary>
    public void Set<T>(string key, T value, IReadOnlyDictionary<string, string>? metadata = null) where T : class
    {
        var entry = Find(key);
        (entry.Value, entry.ValueType, entry.Json, entry.Deserialized, entry.Changed, entry.Metadata) = (value, typeof(T), null, true, true, metadata);
    }

    /// <summary>The entry's JSON as the batch has it so far; null when missing or deleted. The key must have been read, and not set as a value.</summary>
    public byte[]? GetJson(string key)
    {
        var entry = Find(key);
        if (!entry.Deserialized)
        {
            entry.Json = entry.Stored.Length == 0 ? null : Encoding.UTF8.GetBytes(entry.Stored);
            entry.Deserialized = true;
        }

        if (entry.Value is not null) throw new InvalidOperationException($"State entry '{key}' is asked for as JSON, but the batch holds it as {entry.ValueType?.Name}.");
        return entry.Json;
    }

    /// <summary>Sets the entry to JSON that is written as it is (a twin as its event carries it).</summary>
    public void SetJson(string key, byte[] json, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entry = Find(key);
        (entry.Value, entry.ValueType, entry.Json, entry.Deserialized, entry.Changed, entry.Metadata) = (null, null, json, true, true, metadata);
    }

    public void Delete(string key)
    {
        var entry = Find(key);
        (entry.Value, entry.Json, entry.Deserialized, entry.Changed, entry.Metadata) = (null, null, true, true, null);
    }

    private Entry Find(string key) =>
        _entries.TryGetValue(key, out var found) ? found : throw new InvalidOperationException($"State entry '{key}' was not read in this batch.");

    /// <summary>Sets the entry to what <paramref name="change"/> makes of it; null from it means nothing to change.</summary>
    public void Update<T>(string key, Func<T?, T?> change) where T : class
    {
        if (change(Get<T>(key)) is { } updated) Set(key, updated);
    }

    /// <summary>
    /// Writes every changed entry in one transaction, each write checked against the ETag its entry was read with; false
    /// when the transaction failed (as a rule because another replica wrote one of the entries first). No call when
    /// nothing changed, and an entry changed back to what is stored is not written.
    /// </summary>
    public async Task<bool> TryCommitAsync(CancellationToken cancellationToken)
    {
        var operations = new List<StateTransactionRequest>();
        foreach (var (key, entry) in _entries)
        {
            if (!entry.Changed) continue;
            var etag = entry.ETag.Length > 0 ? entry.ETag : null;
            if (entry.Value is null && entry.Json is null)
            {
                // Deleted even when it was missing at the read (then unchecked): a replica applying an older event of
                // the device may have written it since.
                operations.Add(new StateTransactionRequest(key, null, StateOperationType.Delete, etag, options: etag is null ? null : Checked));
                continue;
            }

            var value = entry.Json ?? JsonSerializer.SerializeToUtf8Bytes(entry.Value, entry.ValueType!, dapr.JsonSerializerOptions);
            if (entry.Stored.Length > 0 && value.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(entry.Stored))) continue;
            // Without an ETag a first-write upsert only creates the entry: another replica's first write conflicts.
            operations.Add(new StateTransactionRequest(key, value, StateOperationType.Upsert, etag, entry.Metadata, Checked));
        }

        if (operations.Count == 0) return true;
        try
        {
            await dapr.ExecuteStateTransactionAsync(storeName, operations, cancellationToken: cancellationToken);
            return true;
        }
        catch (DaprException) when (!cancellationToken.IsCancellationRequested)
        {
            // An ETag conflict and a store failure look alike here (daprd answers both 500 / INTERNAL); reading again
            // tells them apart, since a failing store fails the read too.
            return false;
        }
    }
}
