using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>The test's side of daprd's app channel: plain HTTP to the test app, or no app at all.</summary>
public sealed class TestAppChannel(int? port) : IAppChannel, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://127.0.0.1:{port ?? 0}") };

    public int? AppPort => port;

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _http.SendAsync(request, cancellationToken);

    public void Dispose() => _http.Dispose();
}
