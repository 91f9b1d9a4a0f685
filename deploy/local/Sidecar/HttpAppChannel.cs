using System.Net;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// The HTTP channel from a sidecar to its app, kept warm for low latency: pooled keep-alive connections, no
/// proxy, no cookies, no redirects, no decompression. Adds <c>dapr-api-token</c> when the app has an APP_API_TOKEN.
/// </summary>
public sealed class HttpAppChannel : IAppChannel, IDisposable
{
    private readonly HttpMessageInvoker _client;
    private readonly Uri? _baseAddress;
    private readonly string? _appToken;

    public HttpAppChannel(string channelAddress, int? appPort, string? appToken, TimeSpan? connectTimeout = null)
    {
        AppPort = appPort;
        _appToken = string.IsNullOrEmpty(appToken) ? null : appToken;
        var host = channelAddress.Contains(':') && !channelAddress.StartsWith('[') ? $"[{channelAddress}]" : channelAddress;
        _baseAddress = appPort is { } port ? new Uri($"http://{host}:{port}/") : null;
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5),
            MaxConnectionsPerServer = int.MaxValue,
            EnableMultipleHttp2Connections = true,
        });
    }

    public int? AppPort { get; }

    public Uri? BaseAddress => _baseAddress;

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_baseAddress is null)
            throw new InvalidOperationException("the app has no app port, so the sidecar cannot call it");
        if (request.RequestUri is null) request.RequestUri = _baseAddress;
        else if (!request.RequestUri.IsAbsoluteUri) request.RequestUri = new Uri(_baseAddress, request.RequestUri.OriginalString.TrimStart('/'));
        if (_appToken is not null)
        {
            request.Headers.Remove("dapr-api-token");
            request.Headers.TryAddWithoutValidation("dapr-api-token", _appToken);
        }
        return _client.SendAsync(request, cancellationToken);
    }

    /// <summary>A health probe: no token, as daprd's HealthProbe sets no headers (§1.3).</summary>
    public async Task<bool> ProbeAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_baseAddress is null) return false;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseAddress, path.TrimStart('/')));
            using var response = await _client.SendAsync(request, cts.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();
}
