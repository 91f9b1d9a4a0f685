using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>The sidecar's channel to its test app replica.</summary>
internal sealed class TestAppChannel(Uri baseAddress) : IAppChannel, IDisposable
{
    public HttpClient Client { get; } = new() { BaseAddress = baseAddress };

    public int? AppPort => Client.BaseAddress!.Port;

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The sidecar builds paths relative to the app root ("/actors/…"); HttpClient resolves them against BaseAddress.
        if (request.RequestUri is { IsAbsoluteUri: false } relative)
            request.RequestUri = new Uri(Client.BaseAddress!, relative.ToString().TrimStart('/'));
        return Client.SendAsync(request, cancellationToken);
    }

    public void Dispose() => Client.Dispose();
}
