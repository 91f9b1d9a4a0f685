using System.Text.Json;
using Grpc.Core;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// A failed sidecar API call as daprd reports it through either door: on HTTP a status and the body
/// <c>{"errorCode","message"}</c>, on gRPC a status code with the same message (daprd builds both from one
/// <c>pkg/api/errors</c> value). Building blocks throw it from their logic; the HTTP and gRPC handlers only translate.
/// </summary>
public sealed class DaprApiException(int httpStatus, StatusCode grpcStatus, string errorCode, string message) : Exception(message)
{
    public int HttpStatus { get; } = httpStatus;

    public StatusCode GrpcStatus { get; } = grpcStatus;

    public string ErrorCode { get; } = errorCode;

    public async Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        if (response.HasStarted) return;
        response.StatusCode = HttpStatus;
        response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("errorCode", ErrorCode);
        writer.WriteString("message", Message);
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }

    public RpcException ToRpcException() => new(new Status(GrpcStatus, Message));
}
