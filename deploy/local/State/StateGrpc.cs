using Dapr.Client.Autogen.Grpc.v1;
using DaprIoT.LocalRuntime.Sidecar.Grpc;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ProtoStateItem = Dapr.Client.Autogen.Grpc.v1.StateItem;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// The state methods of daprd's gRPC API (<c>pkg/api/grpc/grpc.go</c>) over the same <see cref="StateService"/> as
/// the HTTP routes. A missing key answers OK with empty data and ETag; ETag mismatches are ABORTED, so the .NET SDK's
/// <c>TrySaveStateAsync</c> returns false.
/// </summary>
internal sealed class StateGrpc(StateService state)
{
    private static readonly Empty Done = new();

    public void Map(GrpcApi api)
    {
        api.MapUnary<GetStateRequest, GetStateResponse>("GetState", GetAsync);
        api.MapUnary<GetBulkStateRequest, GetBulkStateResponse>("GetBulkState", GetBulkAsync);
        api.MapUnary<SaveStateRequest, Empty>("SaveState", SaveAsync);
        api.MapUnary<DeleteStateRequest, Empty>("DeleteState", DeleteAsync);
        api.MapUnary<DeleteBulkStateRequest, Empty>("DeleteBulkState", DeleteBulkAsync);
        api.MapUnary<ExecuteStateTransactionRequest, Empty>("ExecuteStateTransaction", TransactAsync);
        api.MapUnary<QueryStateRequest, QueryStateResponse>("QueryStateAlpha1", (request, _) =>
        {
            state.Query(request.StoreName);
            return Task.FromResult(new QueryStateResponse());
        });
    }

    private async Task<GetStateResponse> GetAsync(GetStateRequest request, ServerCallContext call)
    {
        var item = await state.GetAsync(request.StoreName, request.Key, call.CancellationToken);
        var response = new GetStateResponse();
        if (item is null) return response;
        response.Data = ByteString.CopyFrom(item.Value);
        response.Etag = item.ETag;
        if (item.ExpiresAt is { } expiresAt) response.Metadata["ttlExpireTime"] = StateApi.Rfc3339(expiresAt);
        return response;
    }

    private async Task<GetBulkStateResponse> GetBulkAsync(GetBulkStateRequest request, ServerCallContext call)
    {
        var results = await state.BulkGetAsync(request.StoreName, request.Keys, request.Parallelism, call.CancellationToken);
        var response = new GetBulkStateResponse();
        foreach (var result in results)
        {
            var item = new BulkStateItem { Key = result.Key, Error = result.Error ?? "" };
            if (result.Item is { } found)
            {
                item.Data = ByteString.CopyFrom(found.Value);
                item.Etag = found.ETag;
                if (found.ExpiresAt is { } expiresAt) item.Metadata["ttlExpireTime"] = StateApi.Rfc3339(expiresAt);
            }
            response.Items.Add(item);
        }
        return response;
    }

    private async Task<Empty> SaveAsync(SaveStateRequest request, ServerCallContext call)
    {
        if (request.States.Count == 0) return Done;
        var items = request.States.Select(item => item.Key.Length == 0 ? throw StateErrors.EmptyKey() : ToWrite(item)).ToList();
        await state.SaveAsync(request.StoreName, items, new Dictionary<string, string>(), call.CancellationToken);
        return Done;
    }

    private async Task<Empty> DeleteAsync(DeleteStateRequest request, ServerCallContext call)
    {
        await state.DeleteAsync(request.StoreName,
            new StateDeleteRequest(request.Key, request.Etag?.Value, Concurrency(request.Options), Consistency(request.Options)),
            call.CancellationToken);
        return Done;
    }

    private async Task<Empty> DeleteBulkAsync(DeleteBulkStateRequest request, ServerCallContext call)
    {
        var deletes = request.States
            .Select(item => new StateDeleteRequest(item.Key, item.Etag?.Value, Concurrency(item.Options), Consistency(item.Options)))
            .ToList();
        await state.DeleteBulkAsync(request.StoreName, deletes, call.CancellationToken);
        return Done;
    }

    private async Task<Empty> TransactAsync(ExecuteStateTransactionRequest request, ServerCallContext call)
    {
        var operations = request.Operations
            .Select(operation => new TransactionOperation(operation.OperationType, ToWrite(operation.Request ?? new ProtoStateItem())))
            .ToList();
        await state.TransactAsync(request.StoreName, new TransactionRequest(operations, Copy(request.Metadata)),
            new Dictionary<string, string>(), call.CancellationToken);
        return Done;
    }

    private static StateWriteRequest ToWrite(ProtoStateItem item) =>
        new(item.Key, item.Value.ToByteArray(), item.Etag?.Value, Copy(item.Metadata), Concurrency(item.Options), Consistency(item.Options));

    private static Dictionary<string, string> Copy(MapField<string, string> metadata) => new(metadata, StringComparer.Ordinal);

    // The SDK leaves unset options at 0 (UNSPECIFIED): daprd's defaults apply, as with options absent on HTTP.
    private static string? Concurrency(StateOptions? options) => options?.Concurrency switch
    {
        StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite => "first-write",
        StateOptions.Types.StateConcurrency.ConcurrencyLastWrite => "last-write",
        _ => null,
    };

    private static string? Consistency(StateOptions? options) => options?.Consistency switch
    {
        StateOptions.Types.StateConsistency.ConsistencyEventual => "eventual",
        StateOptions.Types.StateConsistency.ConsistencyStrong => "strong",
        _ => null,
    };
}
