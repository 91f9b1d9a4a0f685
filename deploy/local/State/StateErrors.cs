using Grpc.Core;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// The state API's failures with daprd's codes, HTTP statuses, gRPC statuses and message formats
/// (<c>pkg/messages</c>, <c>pkg/api/errors/state.go</c>, <c>pkg/api/grpc/grpc.go</c>).
/// </summary>
public static class StateErrors
{
    public static DaprApiException NotConfigured(string store) =>
        new(500, StatusCode.FailedPrecondition, "ERR_STATE_STORE_NOT_CONFIGURED", $"state store {store} is not configured");

    public static DaprApiException NotFound(string store) =>
        new(400, StatusCode.InvalidArgument, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");

    public static DaprApiException EmptyKey() =>
        new(400, StatusCode.InvalidArgument, "ERR_STATE_SAVE", "state key cannot be empty");

    public static DaprApiException Malformed(string message) =>
        new(400, StatusCode.InvalidArgument, "ERR_MALFORMED_REQUEST", message);

    public static DaprApiException UnsupportedOperation(string operation) =>
        new(400, StatusCode.Unimplemented, "ERR_NOT_SUPPORTED_STATE_OPERATION", $"operation type {operation} not supported");

    public static DaprApiException Get(string key, string store, string detail) =>
        new(500, StatusCode.Internal, "ERR_STATE_GET", $"fail to get {key} from state store {store}: {detail}");

    public static DaprApiException Save(string store, string detail, StateFailure failure = StateFailure.Store) =>
        new(HttpStatus(failure), GrpcStatus(failure), "ERR_STATE_SAVE", $"failed saving state in state store {store}: {detail}");

    public static DaprApiException Delete(string key, string detail, StateFailure failure = StateFailure.Store) =>
        new(HttpStatus(failure), GrpcStatus(failure), "ERR_STATE_DELETE", $"failed deleting state with key {key}: {detail}");

    public static DaprApiException DeleteBulk(string store, string detail, StateFailure failure = StateFailure.Store) =>
        new(HttpStatus(failure), GrpcStatus(failure), "ERR_STATE_DELETE_BULK", $"failed deleting state in state store {store}: {detail}");

    public static DaprApiException Transaction(string detail) =>
        new(500, StatusCode.Internal, "ERR_STATE_TRANSACTION", $"error while executing state transaction: {detail}");

    public static DaprApiException QueryUnsupported() =>
        new(500, StatusCode.Internal, "ERR_STATE_STORE_NOT_SUPPORTED", "state store does not support querying");

    // daprd: ETag mismatch → 409 / ABORTED (the SDK's TrySaveStateAsync turns ABORTED into false), invalid ETag → 400 /
    // INVALID_ARGUMENT, anything else the store says → 500 / INTERNAL.
    private static int HttpStatus(StateFailure failure) => failure switch
    {
        StateFailure.EtagMismatch => 409,
        StateFailure.EtagInvalid => 400,
        _ => 500,
    };

    private static StatusCode GrpcStatus(StateFailure failure) => failure switch
    {
        StateFailure.EtagMismatch => StatusCode.Aborted,
        StateFailure.EtagInvalid => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };
}

/// <summary>What went wrong with a write: it decides the HTTP and gRPC status daprd answers with.</summary>
public enum StateFailure { Store, EtagMismatch, EtagInvalid }
