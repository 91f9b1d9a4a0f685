using System.Net;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// A state API failure as daprd reports it: an HTTP status and a <c>{"errorCode","message"}</c> body. The factory
/// methods carry daprd's codes and message formats (pkg/messages, pkg/api/errors/state.go).
/// </summary>
public sealed class StateApiException(HttpStatusCode status, string errorCode, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public string ErrorCode { get; } = errorCode;

    public static StateApiException NotConfigured(string store) =>
        new(HttpStatusCode.InternalServerError, "ERR_STATE_STORE_NOT_CONFIGURED", $"state store {store} is not configured");

    public static StateApiException NotFound(string store) =>
        new(HttpStatusCode.BadRequest, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");

    public static StateApiException Malformed(string message) =>
        new(HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST", message);

    public static StateApiException UnsupportedOperation(string operation) =>
        new(HttpStatusCode.BadRequest, "ERR_NOT_SUPPORTED_STATE_OPERATION", $"operation type {operation} not supported");

    public static StateApiException Get(string key, string store, string detail) =>
        new(HttpStatusCode.InternalServerError, "ERR_STATE_GET", $"fail to get {key} from state store {store}: {detail}");

    public static StateApiException Save(string store, string detail, HttpStatusCode status = HttpStatusCode.InternalServerError) =>
        new(status, "ERR_STATE_SAVE", $"failed saving state in state store {store}: {detail}");

    public static StateApiException Delete(string key, string detail, HttpStatusCode status = HttpStatusCode.InternalServerError) =>
        new(status, "ERR_STATE_DELETE", $"failed deleting state with key {key}: {detail}");

    public static StateApiException Transaction(string detail) =>
        new(HttpStatusCode.InternalServerError, "ERR_STATE_TRANSACTION", $"error while executing state transaction: {detail}");

    public static StateApiException QueryUnsupported() =>
        new(HttpStatusCode.InternalServerError, "ERR_STATE_STORE_NOT_SUPPORTED", "state store does not support querying");

    public async Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = (int)Status;
        await response.WriteAsJsonAsync(new Body(ErrorCode, Message), cancellationToken);
    }

    private sealed record Body(string ErrorCode, string Message);
}
