using System.Net;
using System.Text.Json;
using DaprIoT.Dapr.Internal;

namespace DaprIoT.Dapr.Client;

public sealed partial class DaprSidecarClient
{
    /// <summary>Reads a key; a missing key (daprd answers 204) gives the default value.</summary>
    public async Task<T?> GetStateAsync<T>(string storeName, string key, StateConsistency? consistency = null,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default) =>
        (await GetStateEntryAsync<T>(storeName, key, consistency, metadata, cancellationToken)).Value;

    /// <summary>Reads a key with its ETag (from the <c>ETag</c> response header), for optimistic concurrency.</summary>
    public async Task<StateEntry<T>> GetStateEntryAsync<T>(string storeName, string key, StateConsistency? consistency = null,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (consistency is { } mode)
        {
            query.Add("consistency=" + StateOptions.Wire(mode));
        }

        query.AddRange((metadata ?? new Dictionary<string, string>()).Select(pair => $"{Uri.EscapeDataString("metadata." + pair.Key)}={Uri.EscapeDataString(pair.Value)}"));
        var path = $"v1.0/state/{Uri.EscapeDataString(storeName)}/{Uri.EscapeDataString(key)}" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Reading state '{key}' from '{storeName}'", cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent || bytes.Length == 0)
        {
            return new StateEntry<T>(key, default, null, Found: false);
        }

        var etag = response.Headers.TryGetValues("ETag", out var values) ? values.FirstOrDefault() : null;
        return new StateEntry<T>(key, JsonSerializer.Deserialize<T>(bytes, _options.JsonSerializerOptions), etag, Found: true);
    }

    /// <summary>Reads several keys at once; the answer has one item per key, in request order (missing keys without data).</summary>
    public async Task<IReadOnlyList<BulkStateItem>> GetBulkStateAsync(string storeName, IReadOnlyList<string> keys, int? parallelism = null,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1.0/state/{Uri.EscapeDataString(storeName)}/bulk")
        {
            Content = ProtocolBody(new { keys, parallelism, metadata }),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Bulk-reading {keys.Count} keys from '{storeName}'", cancellationToken);
        var items = await response.Content.ReadFromJsonArrayAsync<BulkStateItem>(cancellationToken);
        return items.Select(item => item with { SerializerOptions = _options.JsonSerializerOptions }).ToList();
    }

    /// <summary>
    /// Saves one key. With an <paramref name="etag"/> the write only succeeds if the stored ETag still matches;
    /// otherwise a <see cref="DaprApiException"/> with <see cref="DaprApiException.IsETagMismatch"/> is thrown.
    /// </summary>
    public Task SaveStateAsync<T>(string storeName, string key, T value, string? etag = null, StateOptions? options = null,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default) =>
        SaveBulkStateAsync(storeName, [new SaveStateItem(key, value) { ETag = etag, Options = options, Metadata = metadata }], cancellationToken);

    public async Task SaveBulkStateAsync(string storeName, IReadOnlyList<SaveStateItem> items, CancellationToken cancellationToken = default)
    {
        var wire = items.Select(item => new
        {
            key = item.Key,
            value = JsonSerializer.SerializeToElement(item.Value, item.Value?.GetType() ?? typeof(object), _options.JsonSerializerOptions),
            etag = item.ETag,
            metadata = item.Metadata,
            options = item.Options?.ToWire(),
        }).ToList();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1.0/state/{Uri.EscapeDataString(storeName)}")
        {
            Content = ProtocolBody(wire),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Saving {items.Count} state item(s) to '{storeName}'", cancellationToken);
    }

    /// <summary>Deletes a key (also fine when it does not exist). With an <paramref name="etag"/>, it is sent as <c>If-Match</c>.</summary>
    public async Task DeleteStateAsync(string storeName, string key, string? etag = null, StateOptions? options = null,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (options?.Concurrency is { } concurrency)
        {
            query.Add("concurrency=" + StateOptions.Wire(concurrency));
        }

        if (options?.Consistency is { } consistency)
        {
            query.Add("consistency=" + StateOptions.Wire(consistency));
        }

        query.AddRange((metadata ?? new Dictionary<string, string>()).Select(pair => $"{Uri.EscapeDataString("metadata." + pair.Key)}={Uri.EscapeDataString(pair.Value)}"));
        var path = $"v1.0/state/{Uri.EscapeDataString(storeName)}/{Uri.EscapeDataString(key)}" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", etag);
        }

        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Deleting state '{key}' from '{storeName}'", cancellationToken);
    }

    /// <summary>Applies upserts and deletes atomically. Any failure, an ETag mismatch included, is a 500 <c>ERR_STATE_TRANSACTION</c>.</summary>
    public async Task ExecuteStateTransactionAsync(string storeName, IReadOnlyList<StateTransactionOperation> operations,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        var wire = new
        {
            operations = operations.Select(operation => new
            {
                operation = operation.Operation,
                request = new
                {
                    key = operation.Key,
                    value = operation.Operation == StateTransactionOperation.UpsertOperation
                        ? JsonSerializer.SerializeToElement(operation.Value, operation.Value?.GetType() ?? typeof(object), _options.JsonSerializerOptions)
                        : (JsonElement?)null,
                    etag = operation.ETag,
                    metadata = operation.Metadata,
                    options = operation.Options?.ToWire(),
                },
            }).ToList(),
            metadata,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1.0/state/{Uri.EscapeDataString(storeName)}/transaction")
        {
            Content = ProtocolBody(wire),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Committing a state transaction of {operations.Count} operation(s) on '{storeName}'", cancellationToken);
    }
}
