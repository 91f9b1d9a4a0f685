using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>The app channel over real HTTP to a <see cref="SubscriberApp"/>.</summary>
public sealed class TestAppChannel(int port) : IAppChannel, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

    public int? AppPort { get; } = port;

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _http.SendAsync(request, cancellationToken);

    public void Dispose() => _http.Dispose();
}
