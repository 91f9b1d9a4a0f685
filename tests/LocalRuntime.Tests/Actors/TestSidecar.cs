using DaprIoT.LocalRuntime.Sidecar;
using Microsoft.AspNetCore.Builder;

namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>One sidecar of an <see cref="ActorTestRuntime"/>: its actor feature, its HTTP API and its app replica.</summary>
internal sealed class TestSidecar(
    ActorTestApp app, WebApplication api, ISidecarFeature feature, HttpAppChannel channel, SidecarContext context, HttpClient client)
    : IAsyncDisposable
{
    private bool _disposed;

    public ActorTestApp App { get; } = app;

    public ISidecarFeature Feature { get; } = feature;

    public SidecarContext Context { get; } = context;

    /// <summary>A client for this sidecar's HTTP API.</summary>
    public HttpClient Client { get; } = client;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await Feature.StopAsync(CancellationToken.None);
        await Feature.DisposeAsync();
        Client.Dispose();
        await api.StopAsync();
        await api.DisposeAsync();
        channel.Dispose();
        await App.DisposeAsync();
    }
}
