using System.Net.Http.Headers;
using System.Text;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using Microsoft.AspNetCore.Http.Features;

namespace DaprIoT.LocalRuntime.Invocation;

/// <summary>
/// Service invocation (§2): forwards the caller's request to a replica of the target app through that
/// replica's app channel, with the headers daprd adds and removes, and passes the target's status, headers and
/// body back unchanged. Bodies are streamed unless a resiliency retry policy needs them replayable.
/// </summary>
public sealed partial class ServiceInvoker(AppRegistry registry, ILogger logger)
{
    private static readonly HashSet<string> DroppedRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Expect",
        "dapr-api-token", "dapr-app-id", "dapr-caller-app-id", "dapr-callee-app-id", "dapr-caller-namespace",
        "X-Forwarded-For", "X-Forwarded-Host", "Forwarded", "traceparent",
    };

    private static readonly HashSet<string> DroppedResponseHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection", "Trailer", "Transfer-Encoding", "Upgrade",
    };

    /// <summary>The target app id from <c>dapr-app-id</c> or basic auth with user <c>dapr-app-id</c>, else null.</summary>
    public static string? TargetFromHeaders(HttpContext context)
    {
        var header = context.Request.Headers["dapr-app-id"].ToString();
        if (header.Length > 0) return header;
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            if (!decoded.StartsWith("dapr-app-id:", StringComparison.Ordinal)) return null;
            context.Request.Headers.Remove("Authorization");
            return decoded["dapr-app-id:".Length..];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The HTTP door: <c>/v1.0/invoke/{appId}/method/{method}</c> (and header-addressed calls). The body is streamed
    /// unless the caller's resiliency policy retries, which needs it replayable.
    /// </summary>
    public async Task InvokeAsync(HttpContext context, SidecarHost caller, string targetAppId, string method)
    {
        var incoming = context.Request;
        var aborted = context.RequestAborted;
        var hasBody = HasBody(incoming);
        byte[]? buffered = null;
        if (hasBody && caller.Context.Resiliency.ForApp(AppIdOf(targetAppId))?.Retry is not null)
        {
            using var copy = new MemoryStream();
            await incoming.Body.CopyToAsync(copy, aborted);
            buffered = copy.ToArray();
        }
        var invocation = new InvocationRequest(
            incoming.Method, "/" + method.TrimStart('/'), incoming.QueryString.Value ?? "",
            incoming.Headers.Select(h => new KeyValuePair<string, IEnumerable<string?>>(h.Key, h.Value)),
            buffered is not null ? () => new ByteArrayContent(buffered) : hasBody ? () => new StreamContent(incoming.Body) : () => null,
            Replayable: buffered is not null || !hasBody,
            buffered is null ? incoming.ContentLength : buffered.Length,
            incoming.Headers[TraceContext.Header].ToString(),
            context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1",
            context.Connection.LocalIpAddress?.ToString() ?? "127.0.0.1",
            incoming.Host.Value ?? $"127.0.0.1:{caller.Context.HttpPort}");
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(caller, targetAppId, invocation, aborted);
        }
        catch (DaprApiException e)
        {
            await e.WriteAsync(context.Response, aborted);
            return;
        }
        using (response)
        {
            await CopyResponseAsync(context, response, aborted);
        }
    }

    /// <summary>
    /// Both doors' invocation: picks a replica of the target (round-robin), applies the target's access control and
    /// the caller's resiliency policy (timeout per attempt; retries on transport errors and statuses of 400 and above
    /// while the request can be replayed), and returns the target app's response as it is. Failures to reach the app
    /// are daprd's <c>ERR_DIRECT_INVOKE</c>.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(SidecarHost caller, string targetAppId, InvocationRequest invocation,
        CancellationToken aborted)
    {
        targetAppId = AppIdOf(targetAppId);
        var target = registry.Pick(targetAppId, out var known);
        if (target is null)
        {
            var why = known ? "the app is not running, has no app port or is unhealthy" : "app id not found";
            InvokeFailed(logger, caller.AppId, targetAppId, why);
            throw DirectInvokeFailed(targetAppId, why);
        }

        if (target.Settings.Configuration.AccessControl is { } acl && !acl.IsAllowed(caller.AppId, invocation.Verb, invocation.Path))
        {
            throw new DaprApiException(403, Grpc.Core.StatusCode.PermissionDenied, "ERR_DIRECT_INVOKE",
                $"failed to invoke, id: {targetAppId}, err: access control policy has denied access to id: {caller.AppId} operation: {invocation.Path.TrimStart('/')} verb: {invocation.Verb}");
        }

        var policies = caller.Context.Resiliency.ForApp(targetAppId);
        // A streamed body cannot be sent twice: such a call gets one attempt, still under the timeout and breaker.
        if (!invocation.Replayable && policies is not null) policies = policies with { Retry = null };
        var first = true;
        try
        {
            return await PolicyRunner.RunAsync(policies, async token =>
            {
                // A retry may land on another replica, as daprd re-resolves the address.
                if (!first) target = registry.Pick(targetAppId, out _) ?? target;
                first = false;
                using var request = BuildRequest(invocation, caller, target, targetAppId);
                try
                {
                    return await target.Channel.SendAsync(request, token);
                }
                catch (HttpRequestException e) when (e.InnerException is BadHttpRequestException tooLargeOrMalformed)
                {
                    // Reading the caller's body failed (e.g. over maxBodySize): the caller's fault, not the target's.
                    throw tooLargeOrMalformed;
                }
            }, caller.Context.Clock, aborted,
                isFailure: response => (int)response.StatusCode >= 400,
                isAnswer: e => e is BadHttpRequestException);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or CircuitBreakerOpenException)
        {
            InvokeFailed(logger, caller.AppId, targetAppId, e.Message);
            throw DirectInvokeFailed(targetAppId, e is TimeoutException && policies?.Timeout is { } limit
                ? $"timeout after {limit.TotalMilliseconds} ms (resiliency policy)"
                : e.Message);
        }
    }

    // appId.namespace: there is one namespace locally.
    private static string AppIdOf(string targetAppId) => targetAppId.IndexOf('.') is var dot and > 0 ? targetAppId[..dot] : targetAppId;

    private static DaprApiException DirectInvokeFailed(string targetAppId, string why) =>
        new(500, Grpc.Core.StatusCode.Internal, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {targetAppId}, err: {why}");

    private static bool HasBody(HttpRequest request) =>
        request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
        ?? (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0);

    private static HttpRequestMessage BuildRequest(InvocationRequest invocation, SidecarHost caller, SidecarHost target, string targetAppId)
    {
        var request = new HttpRequestMessage(new HttpMethod(invocation.Verb), new Uri(invocation.Path + invocation.QueryString, UriKind.Relative))
        {
            Version = System.Net.HttpVersion.Version11,
            Content = invocation.CreateContent(),
        };
        foreach (var (name, values) in invocation.Headers)
        {
            if (DroppedRequestHeaders.Contains(name)) continue;
            if (!request.Headers.TryAddWithoutValidation(name, values))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, values);
            }
        }
        if (request.Content is not null && invocation.ContentLength is { } length) request.Content.Headers.ContentLength = length;

        var headers = request.Headers;
        headers.TryAddWithoutValidation("dapr-caller-app-id", caller.AppId);
        headers.TryAddWithoutValidation("dapr-callee-app-id", targetAppId);
        if (caller.Context.Namespace is { } callerNamespace) headers.TryAddWithoutValidation("dapr-caller-namespace", callerNamespace);
        headers.TryAddWithoutValidation("X-Forwarded-For", invocation.RemoteAddress);
        headers.TryAddWithoutValidation("X-Forwarded-Host", invocation.Host);
        headers.TryAddWithoutValidation("Forwarded", $"for={invocation.RemoteAddress};by={invocation.LocalAddress};host={invocation.Host}");
        headers.TryAddWithoutValidation(TraceContext.Header, TraceContext.Child(invocation.Traceparent));
        headers.Host = target.Channel.BaseAddress?.Authority;
        return request;
    }

    private static async Task CopyResponseAsync(HttpContext context, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var outgoing = context.Response;
        outgoing.StatusCode = (int)response.StatusCode;
        var traceparent = outgoing.Headers[TraceContext.Header];
        Copy(outgoing, response.Headers);
        Copy(outgoing, response.Content.Headers);
        if (!response.Headers.Contains(TraceContext.Header)) outgoing.Headers[TraceContext.Header] = traceparent;
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(outgoing.Body, cancellationToken);
    }

    /// <summary>Copies headers as the target sent them (raw values: <c>Server: a b</c> stays one header).</summary>
    private static void Copy(HttpResponse outgoing, HttpHeaders headers)
    {
        foreach (var (name, values) in headers.NonValidated)
        {
            if (DroppedResponseHeaders.Contains(name)) continue;
            outgoing.Headers[name] = values.Count == 1 ? values.ToString() : values.ToArray();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invocation from {Caller} to {Target} failed: {Problem}")]
    private static partial void InvokeFailed(ILogger logger, string caller, string target, string problem);
}
