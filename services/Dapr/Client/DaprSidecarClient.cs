using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DaprIoT.Dapr.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace DaprIoT.Dapr.Client;

/// <summary>
/// Typed HttpClient over daprd's HTTP API (<c>/v1.0/...</c>). Adds <c>dapr-api-token</c> when configured and copies
/// the current W3C trace context onto every request, because Dapr does not chain an app's outgoing calls itself.
/// Failures surface as <see cref="DaprApiException"/>; service invocation passes the target's status through instead.
/// </summary>
public sealed partial class DaprSidecarClient
{
    private const string ApiTokenHeader = "dapr-api-token";
    private readonly HttpClient _http;
    private readonly SidecarClientOptions _options;
    private readonly IHttpContextAccessor? _httpContextAccessor;

    public DaprSidecarClient(HttpClient http, IOptions<SidecarClientOptions> options, IHttpContextAccessor? httpContextAccessor = null)
    {
        _http = http;
        _options = options.Value;
        _httpContextAccessor = httpContextAccessor;
        _http.BaseAddress ??= _options.BaseAddress;
    }

    /// <summary>How application data is serialized by this client (and by the actor host that uses it).</summary>
    public JsonSerializerOptions JsonSerializerOptions => _options.JsonSerializerOptions;

    public Uri BaseAddress => _http.BaseAddress!;

    // ---- Service invocation -------------------------------------------------------------------------------------

    /// <summary>
    /// Invokes <paramref name="methodPath"/> (used as given: it may contain slashes and a <c>?query</c>, so escape its
    /// segments yourself) on app <paramref name="appId"/>
    /// through the sidecar. The target's status, headers and body come back unchanged, including 4xx/5xx; the
    /// caller owns (and disposes) the response.
    /// </summary>
    public async Task<HttpResponseMessage> InvokeMethodAsync(HttpMethod method, string appId, string methodPath,
        HttpContent? content = null, IEnumerable<KeyValuePair<string, string>>? headers = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(appId);
        using var request = new HttpRequestMessage(method, $"v1.0/invoke/{Uri.EscapeDataString(appId)}/method/{methodPath.TrimStart('/')}")
        {
            Content = content,
        };
        foreach (var (name, value) in headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Invokes a JSON endpoint on another app and reads its JSON answer; non-2xx becomes a <see cref="DaprApiException"/>.</summary>
    public async Task<TResponse?> InvokeMethodAsync<TResponse>(HttpMethod method, string appId, string methodPath,
        object? body = null, CancellationToken cancellationToken = default)
    {
        using var response = await InvokeMethodAsync(method, appId, methodPath, body is null ? null : JsonBody(body), null, cancellationToken);
        await EnsureSuccessAsync(response, $"Invoking {method} {methodPath} on app '{appId}'", cancellationToken);
        return await ReadJsonAsync<TResponse>(response, cancellationToken);
    }

    // ---- Pub/sub -------------------------------------------------------------------------------------------------

    /// <summary>Publishes <paramref name="data"/> as JSON (<c>application/json</c>); daprd wraps it in a CloudEvent.</summary>
    public Task PublishEventAsync<T>(string pubSubName, string topic, T data,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default) =>
        PublishAsync(pubSubName, topic, JsonBody(data), metadata, cancellationToken);

    /// <summary>Publishes bytes with the given content type (it becomes the CloudEvent's <c>datacontenttype</c>).</summary>
    public Task PublishBytesAsync(string pubSubName, string topic, ReadOnlyMemory<byte> payload, string contentType,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default) =>
        PublishAsync(pubSubName, topic, BytesBody(payload, contentType), metadata, cancellationToken);

    /// <summary>Publishes bytes verbatim, without a CloudEvent envelope (<c>metadata.rawPayload=true</c>). TTL and tracing are lost.</summary>
    public Task PublishRawAsync(string pubSubName, string topic, ReadOnlyMemory<byte> payload, string contentType = "application/octet-stream",
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        var withRaw = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal) { ["rawPayload"] = "true" };
        return PublishAsync(pubSubName, topic, BytesBody(payload, contentType), withRaw, cancellationToken);
    }

    /// <summary>
    /// Publishes a complete CloudEvent (<c>application/cloudevents+json</c>); daprd keeps its attributes and only
    /// overwrites <c>topic</c> and <c>pubsubname</c>. Always give it an <c>id</c>.
    /// </summary>
    public Task PublishCloudEventAsync<T>(string pubSubName, string topic, T cloudEvent,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        var content = JsonBody(cloudEvent);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
        return PublishAsync(pubSubName, topic, content, metadata, cancellationToken);
    }

    private async Task PublishAsync(string pubSubName, string topic, HttpContent content,
        IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(pubSubName);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        // Topics may contain '/', which daprd routes as a wildcard segment: escape each part, keep the slashes.
        var topicPath = string.Join('/', topic.Split('/').Select(Uri.EscapeDataString));
        using var request = new HttpRequestMessage(HttpMethod.Post,
            $"v1.0/publish/{Uri.EscapeDataString(pubSubName)}/{topicPath}{MetadataQuery(metadata)}")
        {
            Content = content,
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Publishing to topic '{topic}' on '{pubSubName}'", cancellationToken);
    }

    // ---- Output bindings -----------------------------------------------------------------------------------------

    /// <summary>
    /// Invokes an output binding. daprd JSON-encodes <paramref name="data"/> before handing it to the component, so a
    /// string reaches an MQTT broker with its quotes.
    /// </summary>
    public async Task<BindingResponse> InvokeBindingAsync<T>(string bindingName, string operation, T data,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(bindingName);
        ArgumentException.ThrowIfNullOrEmpty(operation);
        var payload = new Dictionary<string, object?>
        {
            ["data"] = JsonSerializer.SerializeToElement(data, _options.JsonSerializerOptions),
            ["metadata"] = metadata ?? new Dictionary<string, string>(),
            ["operation"] = operation,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1.0/bindings/{Uri.EscapeDataString(bindingName)}")
        {
            Content = ProtocolBody(payload),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Invoking output binding '{bindingName}' ({operation})", cancellationToken);
        var responseMetadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key.StartsWith("metadata.", StringComparison.OrdinalIgnoreCase))
            {
                responseMetadata[header.Key["metadata.".Length..]] = string.Join(',', header.Value);
            }
        }

        return new BindingResponse(await response.Content.ReadAsByteArrayAsync(cancellationToken), responseMetadata, _options.JsonSerializerOptions);
    }

    // ---- Metadata, health, shutdown ------------------------------------------------------------------------------

    public async Task<SidecarMetadata> GetMetadataAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1.0/metadata");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, "Reading sidecar metadata", cancellationToken);
        var json = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return SidecarMetadata.Parse(json);
    }

    /// <summary>Stores an ephemeral attribute that appears under <c>extended</c> in the metadata.</summary>
    public async Task SetMetadataAsync(string attributeName, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(attributeName);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"v1.0/metadata/{Uri.EscapeDataString(attributeName)}")
        {
            Content = new StringContent(value, Encoding.UTF8, "text/plain"),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Setting metadata attribute '{attributeName}'", cancellationToken);
    }

    /// <summary>True when <c>GET /v1.0/healthz/outbound</c> answers 2xx (components and API ready; the app may not be).</summary>
    public async Task<bool> IsSidecarReadyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1.0/healthz/outbound");
            using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>
    /// Polls <c>/v1.0/healthz/outbound</c> until the sidecar's APIs are usable. Never waits on <c>/v1.0/healthz</c>:
    /// that only turns healthy after daprd has reached the app, so waiting on it before listening deadlocks.
    /// </summary>
    public async Task WaitForSidecarAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        while (!await IsSidecarReadyAsync(cancellationToken))
        {
            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException(
                    $"The Dapr sidecar at {BaseAddress} did not become ready (GET /v1.0/healthz/outbound) within {timeout}. " +
                    "Check that it runs and that DAPR_HTTP_PORT points at it.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>Asks the sidecar to shut down gracefully (or at once with <paramref name="force"/>).</summary>
    public async Task ShutdownAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1.0/shutdown");
        if (force)
        {
            request.Headers.TryAddWithoutValidation("dapr-force-shutdown", "true");
        }

        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, "Shutting down the sidecar", cancellationToken);
    }

    // ---- Plumbing ------------------------------------------------------------------------------------------------

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(_options.ApiToken))
        {
            request.Headers.Remove(ApiTokenHeader);
            request.Headers.TryAddWithoutValidation(ApiTokenHeader, _options.ApiToken);
        }

        if (!request.Headers.Contains("traceparent"))
        {
            if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity)
            {
                request.Headers.TryAddWithoutValidation("traceparent", activity.Id);
                if (!string.IsNullOrEmpty(activity.TraceStateString))
                {
                    request.Headers.TryAddWithoutValidation("tracestate", activity.TraceStateString);
                }
            }
            else if (_httpContextAccessor?.HttpContext?.Request.Headers is { } incoming && incoming.TryGetValue("traceparent", out var traceParent))
            {
                // No activity (no listener, logging off): still continue the caller's trace, as Dapr expects apps to.
                request.Headers.TryAddWithoutValidation("traceparent", traceParent.ToString());
                if (incoming.TryGetValue("tracestate", out var traceState))
                {
                    request.Headers.TryAddWithoutValidation("tracestate", traceState.ToString());
                }
            }
        }

        return await _http.SendAsync(request, completion, cancellationToken);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await DaprApiException.FromResponseAsync(response, operation, cancellationToken);
        }
    }

    private async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (bytes.Length == 0 || response.StatusCode == HttpStatusCode.NoContent)
        {
            return default;
        }

        return JsonSerializer.Deserialize<T>(bytes, _options.JsonSerializerOptions);
    }

    private ByteArrayContent JsonBody<T>(T value)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, _options.JsonSerializerOptions));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static ByteArrayContent ProtocolBody(object value)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, ProtocolJson.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static ByteArrayContent BytesBody(ReadOnlyMemory<byte> payload, string contentType)
    {
        var content = new ByteArrayContent(payload.ToArray());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static string MetadataQuery(IReadOnlyDictionary<string, string>? metadata, string prefix = "metadata.")
    {
        if (metadata is null || metadata.Count == 0)
        {
            return string.Empty;
        }

        return "?" + string.Join('&', metadata.Select(pair => $"{Uri.EscapeDataString(prefix + pair.Key)}={Uri.EscapeDataString(pair.Value)}"));
    }
}
