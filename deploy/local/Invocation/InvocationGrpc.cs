using System.Net.Http.Headers;
using Dapr.Client.Autogen.Grpc.v1;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.Sidecar.Grpc;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace DaprIoT.LocalRuntime.Invocation;

/// <summary>
/// gRPC <c>InvokeService</c> (deprecated in daprd, still served) into an HTTP app, as daprd does it: the message's
/// data is the body, its <c>http_extension</c> the verb (POST when none) and query; the app's status travels back in the
/// <c>dapr-http-status</c> header, and a status outside 2xx fails the call with the gRPC code daprd maps it to
/// (<c>pkg/messaging/v1/util.go</c>) and the status text.
/// </summary>
internal sealed class InvocationGrpc(ServiceInvoker invoker, SidecarHost caller)
{
    // gRPC's own and hop-by-hop headers never reach the app.
    private static readonly HashSet<string> TransportHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-type", "te", "grpc-accept-encoding", "grpc-encoding", "grpc-timeout", "user-agent", "host",
    };

    public void Map(GrpcApi api) => api.MapUnary<InvokeServiceRequest, InvokeResponse>("InvokeService", InvokeAsync);

    private async Task<InvokeResponse> InvokeAsync(InvokeServiceRequest request, ServerCallContext call)
    {
        var message = request.Message ?? new InvokeRequest();
        var extension = message.HttpExtension;
        var verb = extension is null || extension.Verb == HTTPExtension.Types.Verb.None ? "POST" : extension.Verb.ToString().ToUpperInvariant();
        var query = extension?.Querystring is { Length: > 0 } q ? "?" + q.TrimStart('?') : "";
        var body = message.Data?.Value.ToByteArray();
        var headers = call.RequestHeaders
            .Where(h => !h.IsBinary && !TransportHeaders.Contains(h.Key))
            .Select(h => new KeyValuePair<string, IEnumerable<string?>>(h.Key, [h.Value]))
            .ToList();
        var http = call.GetHttpContext();
        var invocation = new InvocationRequest(verb, "/" + message.Method.TrimStart('/'), query, headers,
            () =>
            {
                if (body is null) return null;
                var content = new ByteArrayContent(body);
                if (message.ContentType.Length > 0 && MediaTypeHeaderValue.TryParse(message.ContentType, out var type))
                    content.Headers.ContentType = type;
                return content;
            },
            Replayable: true, body?.Length, call.RequestHeaders.GetValue(TraceContext.Header) ?? "",
            http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1", http.Connection.LocalIpAddress?.ToString() ?? "127.0.0.1",
            $"127.0.0.1:{caller.Settings.GrpcPort}");

        using var response = await invoker.SendAsync(caller, request.Id, invocation, call.CancellationToken);
        var status = (int)response.StatusCode;
        await call.WriteResponseHeadersAsync(new Metadata { { "dapr-http-status", status.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
        var code = CodeFromHttpStatus(status);
        if (code != StatusCode.OK) throw new RpcException(new Status(code, response.ReasonPhrase ?? ""));
        return new InvokeResponse
        {
            Data = new Any { Value = ByteString.CopyFrom(await response.Content.ReadAsByteArrayAsync(call.CancellationToken)) },
            ContentType = response.Content.Headers.ContentType?.ToString() ?? "",
        };
    }

    private static StatusCode CodeFromHttpStatus(int status) => status switch
    {
        >= 200 and < 300 => StatusCode.OK,
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.NotFound,
        408 => StatusCode.Cancelled,
        409 => StatusCode.AlreadyExists,
        429 => StatusCode.ResourceExhausted,
        501 => StatusCode.Unimplemented,
        503 => StatusCode.Unavailable,
        504 => StatusCode.DeadlineExceeded,
        _ => StatusCode.Unknown,
    };
}
