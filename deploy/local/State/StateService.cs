using System.Collections.Frozen;

namespace DaprIoT.LocalRuntime.State;

/// <summary>The answer for one key of a bulk get: the item (null when missing) or the store's error.</summary>
internal sealed record BulkGetResult(string Key, StateItem? Item, string? Error);

/// <summary>
/// The state building block of one sidecar, behind both doors: the HTTP routes (<see cref="StateApi"/>) and the gRPC
/// methods (<see cref="StateGrpc"/>) parse their requests into these calls and render what comes back. Here live
/// daprd's rules: key prefixes, concurrency and TTL options, resiliency per store, which ETag failure is which, and
/// the order errors are reported in. Failures are <see cref="Sidecar.DaprApiException"/>s from <see cref="StateErrors"/>.
/// </summary>
internal sealed class StateService
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = FrozenDictionary<string, string>.Empty;

    private readonly Sidecar.SidecarContext _sidecar;
    private readonly IReadOnlyDictionary<string, StateKeyPrefix> _prefixes;

    public StateService(Sidecar.SidecarContext sidecar)
    {
        _sidecar = sidecar;
        // A bad keyPrefix fails here, at sidecar start, naming the component file.
        _prefixes = sidecar.StateStores.Keys.ToDictionary(name => name, name =>
            sidecar.Components.FirstOrDefault(c => c.Kind == "state" && c.Name == name) is { } component
                ? StateKeyPrefix.For(component, sidecar.AppId, sidecar.Namespace)
                : new StateKeyPrefix(sidecar.AppId), StringComparer.Ordinal);
    }

    public async Task<StateItem?> GetAsync(string storeName, string key, CancellationToken cancellationToken)
    {
        var target = Resolve(storeName);
        var storeKey = StoreKey(target.Prefix, key);
        try
        {
            return await target.CallAsync((store, ct) => store.GetAsync(storeKey, ct), cancellationToken);
        }
        catch (Exception e) when (IsStoreFailure(e, cancellationToken))
        {
            throw StateErrors.Get(key, target.Name, e.Message);
        }
    }

    /// <summary>Every key is read, <paramref name="parallelism"/> at a time (0: all at once); a failed key carries its error.</summary>
    public async Task<BulkGetResult[]> BulkGetAsync(string storeName, IReadOnlyList<string> keys, int parallelism, CancellationToken cancellationToken)
    {
        var target = Resolve(storeName);
        var storeKeys = keys.Select(key => StoreKey(target.Prefix, key)).ToArray();
        var results = new BulkGetResult[storeKeys.Length];
        var options = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = parallelism > 0 ? parallelism : Math.Max(1, storeKeys.Length),
        };
        await Parallel.ForEachAsync(Enumerable.Range(0, storeKeys.Length), options, async (i, ct) =>
        {
            try
            {
                results[i] = new BulkGetResult(keys[i], await target.CallAsync((store, attempt) => store.GetAsync(storeKeys[i], attempt), ct), null);
            }
            catch (Exception e) when (IsStoreFailure(e, ct))
            {
                results[i] = new BulkGetResult(keys[i], null, e.Message);
            }
        });
        return results;
    }

    /// <summary>
    /// Saves each item independently (no transaction), as daprd does: every item is attempted, and an ETag problem is
    /// reported ahead of other failures. <paramref name="requestMetadata"/> (HTTP query <c>metadata.*</c>) overrides
    /// each item's own.
    /// </summary>
    public async Task SaveAsync(string storeName, IReadOnlyList<StateWriteRequest> items,
        IReadOnlyDictionary<string, string> requestMetadata, CancellationToken cancellationToken)
    {
        var target = Resolve(storeName);
        // Everything is validated before anything is written.
        var sets = items.Select(item => ToSet(item, target.Prefix, requestMetadata, NoMetadata,
            detail => StateErrors.Save(storeName, detail))).ToList();
        var failures = new List<Sidecar.DaprApiException>();
        foreach (var set in sets)
        {
            try
            {
                await target.CallAsync((store, ct) => store.SetAsync(set, ct), cancellationToken);
            }
            catch (EtagMismatchException e)
            {
                failures.Add(StateErrors.Save(storeName, EtagMismatch(e), StateFailure.EtagMismatch));
            }
            catch (EtagInvalidException e)
            {
                failures.Add(StateErrors.Save(storeName, $"invalid etag value: {e.Message}", StateFailure.EtagInvalid));
            }
            catch (Exception e) when (IsStoreFailure(e, cancellationToken))
            {
                failures.Add(StateErrors.Save(storeName, e.Message));
            }
        }
        if (failures.Count > 0) throw failures.FirstOrDefault(f => f.HttpStatus != 500) ?? failures[0];
    }

    public async Task DeleteAsync(string storeName, StateDeleteRequest request, CancellationToken cancellationToken)
    {
        var target = Resolve(storeName);
        var delete = ToDelete(request, target.Prefix, detail => StateErrors.Delete(request.Key, detail));
        try
        {
            await target.CallAsync((store, ct) => store.DeleteAsync(delete, ct), cancellationToken);
        }
        catch (EtagMismatchException e)
        {
            throw StateErrors.Delete(request.Key, EtagMismatch(e), StateFailure.EtagMismatch);
        }
        catch (EtagInvalidException e)
        {
            throw StateErrors.Delete(request.Key, $"invalid etag value: {e.Message}", StateFailure.EtagInvalid);
        }
        catch (Exception e) when (IsStoreFailure(e, cancellationToken))
        {
            throw StateErrors.Delete(request.Key, e.Message);
        }
    }

    /// <summary>gRPC's <c>DeleteBulkState</c>: each key deleted on its own; the first failure is reported.</summary>
    public async Task DeleteBulkAsync(string storeName, IReadOnlyList<StateDeleteRequest> requests, CancellationToken cancellationToken)
    {
        var target = Resolve(storeName);
        var deletes = requests.Select(r => ToDelete(r, target.Prefix, detail => StateErrors.DeleteBulk(storeName, detail))).ToList();
        foreach (var delete in deletes)
        {
            try
            {
                await target.CallAsync((store, ct) => store.DeleteAsync(delete, ct), cancellationToken);
            }
            catch (EtagMismatchException e)
            {
                throw StateErrors.DeleteBulk(storeName, EtagMismatch(e), StateFailure.EtagMismatch);
            }
            catch (EtagInvalidException e)
            {
                throw StateErrors.DeleteBulk(storeName, $"invalid etag value: {e.Message}", StateFailure.EtagInvalid);
            }
            catch (Exception e) when (IsStoreFailure(e, cancellationToken))
            {
                throw StateErrors.DeleteBulk(storeName, e.Message);
            }
        }
    }

    /// <summary>All operations or none. Unlike save and delete, daprd answers any failed transaction with 500 / INTERNAL.</summary>
    public async Task TransactAsync(string storeName, TransactionRequest request, IReadOnlyDictionary<string, string> requestMetadata,
        CancellationToken cancellationToken)
    {
        var target = Resolve(storeName);
        var operations = new List<StateOperation>(request.Operations.Count);
        foreach (var operation in request.Operations)
        {
            var write = operation.Request;
            switch (operation.Operation)
            {
                case "upsert":
                    operations.Add(ToSet(write, target.Prefix, requestMetadata, request.Metadata, StateErrors.Transaction));
                    break;
                case "delete":
                    operations.Add(ToDelete(new StateDeleteRequest(write.Key, write.ETag, write.Concurrency, write.Consistency),
                        target.Prefix, StateErrors.Transaction));
                    break;
                default:
                    throw StateErrors.UnsupportedOperation(operation.Operation);
            }
        }
        try
        {
            await target.CallAsync((store, ct) => store.TransactAsync(operations, ct), cancellationToken);
        }
        catch (EtagMismatchException e)
        {
            throw StateErrors.Transaction(EtagMismatch(e));
        }
        catch (Exception e) when (IsStoreFailure(e, cancellationToken))
        {
            throw StateErrors.Transaction(e.Message);
        }
    }

    /// <summary>Neither store implements daprd's query API (Redis needs RedisJSON and queryIndexes), so it answers as daprd does for a store without it.</summary>
    public void Query(string storeName)
    {
        Resolve(storeName);
        throw StateErrors.QueryUnsupported();
    }

    private StoreTarget Resolve(string name)
    {
        if (_sidecar.StateStores.Count == 0) throw StateErrors.NotConfigured(name);
        return _sidecar.StateStores.TryGetValue(name, out var store)
            ? new StoreTarget(name, store, _prefixes[name], _sidecar.Resiliency.ForComponentOutbound(name), _sidecar.Clock)
            : throw StateErrors.NotFound(name);
    }

    private static string StoreKey(StateKeyPrefix prefix, string key) =>
        prefix.Apply(key, out var problem) ?? throw StateErrors.Malformed(problem!);

    private static StateSet ToSet(StateWriteRequest write, StateKeyPrefix prefix, IReadOnlyDictionary<string, string> requestMetadata,
        IReadOnlyDictionary<string, string> defaults, Func<string, Sidecar.DaprApiException> failure)
    {
        var storeKey = StoreKey(prefix, write.Key);
        var concurrency = Concurrency(write.Concurrency, write.Consistency, failure);
        // Request metadata overrides the item's, which overrides the transaction's.
        var ttlText = requestMetadata.GetValueOrDefault("ttlInSeconds") ?? write.Metadata.GetValueOrDefault("ttlInSeconds")
            ?? defaults.GetValueOrDefault("ttlInSeconds");
        TimeSpan? ttl = null;
        if (!string.IsNullOrEmpty(ttlText))
        {
            ttl = int.TryParse(ttlText, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(seconds)
                : throw failure($"failed to parse ttl from metadata: ttlInSeconds '{ttlText}' is not a whole number of seconds");
        }
        return new StateSet(storeKey, write.Value, write.ETag, concurrency, ttl);
    }

    private static StateDelete ToDelete(StateDeleteRequest request, StateKeyPrefix prefix, Func<string, Sidecar.DaprApiException> failure) =>
        new(StoreKey(prefix, request.Key), request.ETag, Concurrency(request.Concurrency, request.Consistency, failure));

    private static StateConcurrency Concurrency(string? concurrency, string? consistency, Func<string, Sidecar.DaprApiException> failure)
    {
        if (consistency is not (null or "" or "eventual" or "strong"))
            throw failure($"unrecognized consistency model '{consistency}'");
        return concurrency switch
        {
            null or "" or "last-write" => StateConcurrency.LastWrite,
            "first-write" => StateConcurrency.FirstWrite,
            _ => throw failure($"unrecognized concurrency model '{concurrency}'"),
        };
    }

    private static string EtagMismatch(EtagMismatchException e) => $"possible etag mismatch. error from state store: {e.Message}";

    // daprd answers every failure of the store itself (connection, server error, corrupt entry) with its error body.
    private static bool IsStoreFailure(Exception e, CancellationToken cancellationToken) =>
        e is not OperationCanceledException || !cancellationToken.IsCancellationRequested;
}
