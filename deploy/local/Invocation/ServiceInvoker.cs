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

    public async Task InvokeAsync(HttpContext context, SidecarHost caller, string targetAppId, string method)
    {
        var dot = targetAppId.IndexOf('.');
        if (dot > 0) targetAppId = targetAppId[..dot]; // appId.namespace: one namespace locally
        var target = registry.Pick(targetAppId, out var known);
        if (target is null)
        {
            var why = known ? "the app is not running, has no app port or is unhealthy" : "app id not found";
            InvokeFailed(logger, caller.AppId, targetAppId, why);
            await DaprErrors.WriteAsync(context, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {targetAppId}, err: {why}");
            return;
        }

        var path = "/" + method.TrimStart('/');
        if (target.Settings.Configuration.AccessControl is { } acl && !acl.IsAllowed(caller.AppId, context.Request.Method, path))
        {
            await DaprErrors.WriteAsync(context, 403, "ERR_DIRECT_INVOKE",
                $"failed to invoke, id: {targetAppId}, err: access control policy has denied access to id: {caller.AppId} operation: {path.TrimStart('/')} verb: {context.Request.Method}");
            return;
        }

        var policies = caller.Context.Resiliency.ForApp(targetAppId);
        var retry = policies?.Retry;
        var relative = path + context.Request.QueryString.Value;
        var aborted = context.RequestAborted;

        byte[]? buffered = null;
        if (retry is not null && HasBody(context.Request))
        {
            using var copy = new MemoryStream();
            await context.Request.Body.CopyToAsync(copy, aborted);
            buffered = copy.ToArray();
        }

        HttpResponseMessage? response = null;
        for (var attempt = 0; ; attempt++)
        {
            using var timeout = policies?.Timeout is { } t ? CancellationTokenSource.CreateLinkedTokenSource(aborted) : null;
            timeout?.CancelAfter(policies!.Timeout!.Value);
            var token = timeout?.Token ?? aborted;
            string? error = null;
            try
            {
                using var request = BuildRequest(context, caller, target, targetAppId, relative, buffered);
                response = await target.Channel.SendAsync(request, token);
            }
            catch (HttpRequestException e) when (e.InnerException is BadHttpRequestException tooLargeOrMalformed)
            {
                // Reading the caller's body failed (e.g. over maxBodySize): the caller's fault, not the target's.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(tooLargeOrMalformed);
            }
            catch (HttpRequestException e)
            {
                error = e.Message;
            }
            catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true && !aborted.IsCancellationRequested)
            {
                error = $"timeout after {policies!.Timeout!.Value.TotalMilliseconds} ms (resiliency policy)";
            }

            var failed = error is not null || (int)response!.StatusCode >= 400;
            if (!failed || retry is null || !retry.AllowsRetry(attempt) || (error is null && !CanReplay(context, buffered)))
            {
                if (error is not null)
                {
                    InvokeFailed(logger, caller.AppId, targetAppId, error);
                    await DaprErrors.WriteAsync(context, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {targetAppId}, err: {error}");
                    return;
                }
                break;
            }
            response?.Dispose();
            response = null;
            await Task.Delay(retry.DelayBefore(attempt + 1), aborted);
            // A retry may land on another replica, as daprd re-resolves the address.
            target = registry.Pick(targetAppId, out _) ?? target;
        }

        using (response)
        {
            await CopyResponseAsync(context, response!, aborted);
        }
    }

    private static bool HasBody(HttpRequest request) =>
        request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
        ?? (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0);

    private static bool CanReplay(HttpContext context, byte[]? buffered) => buffered is not null || !HasBody(context.Request);

    private static HttpRequestMessage BuildRequest(HttpContext context, SidecarHost caller, SidecarHost target, string targetAppId,
        string relative, byte[]? buffered)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(new HttpMethod(incoming.Method), new Uri(relative, UriKind.Relative))
        {
            Version = System.Net.HttpVersion.Version11,
        };
        if (buffered is not null) request.Content = new ByteArrayContent(buffered);
        else if (HasBody(incoming)) request.Content = new StreamContent(incoming.Body);

        foreach (var (name, values) in incoming.Headers)
        {
            if (DroppedRequestHeaders.Contains(name)) continue;
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        if (request.Content is not null && incoming.ContentLength is { } length) request.Content.Headers.ContentLength = length;

        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        var host = incoming.Host.Value ?? $"127.0.0.1:{caller.Context.HttpPort}";
        var headers = request.Headers;
        headers.TryAddWithoutValidation("dapr-caller-app-id", caller.AppId);
        headers.TryAddWithoutValidation("dapr-callee-app-id", targetAppId);
        if (caller.Context.Namespace is { } callerNamespace) headers.TryAddWithoutValidation("dapr-caller-namespace", callerNamespace);
        headers.TryAddWithoutValidation("X-Forwarded-For", remote);
        headers.TryAddWithoutValidation("X-Forwarded-Host", host);
        headers.TryAddWithoutValidation("Forwarded", $"for={remote};by={context.Connection.LocalIpAddress};host={host}");
        headers.TryAddWithoutValidation(TraceContext.Header, TraceContext.Child(incoming.Headers[TraceContext.Header].ToString()));
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
