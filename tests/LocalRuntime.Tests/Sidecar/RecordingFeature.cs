using System.Collections.Concurrent;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DaprIoT.LocalRuntime.Tests.Sidecar;

/// <summary>A building block for tests: records when each sidecar starts and stops it and what discovery held at start.</summary>
public sealed class RecordingFeature(SidecarContext sidecar, ConcurrentQueue<RecordingFeature.Event> events) : ISidecarFeature
{
    public sealed record Event(string InstanceId, string Kind, long Sequence, AppDiscovery Discovery);

    public sealed class Factory : ISidecarFeatureFactory
    {
        public ConcurrentQueue<Event> Events { get; } = new();

        public ISidecarFeature Create(SidecarContext sidecar) => new RecordingFeature(sidecar, Events);
    }

    public void MapRoutes(IEndpointRouteBuilder routes) =>
        routes.MapGet("/v1.0-alpha1/recording/{value}", (string value) => Results.Text($"{sidecar.InstanceId}:{value}"));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        events.Enqueue(new Event(sidecar.InstanceId, "start", RecordingApp.NextSequence(), sidecar.Discovery));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        events.Enqueue(new Event(sidecar.InstanceId, "stop", RecordingApp.NextSequence(), sidecar.Discovery));
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
