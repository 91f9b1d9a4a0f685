using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DaprIoT.Benchmarks.RuntimeLatency;

/// <summary>
/// The app behind the sidecar: an echo endpoint, one actor type and one topic subscription, answering with
/// the least work possible so the numbers show the hop, not the app.
/// </summary>
public sealed class BenchmarkApp : IAsyncDisposable
{
    public const string ActorType = "BenchActor";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<long>> _deliveries = new();

    private BenchmarkApp(WebApplication app) => _app = app;

    public string Topic { get; } = $"bench-{Guid.NewGuid():N}";

    public int Port { get; private set; }

    public static async Task<BenchmarkApp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = new BenchmarkApp(builder.Build());
        app.Map();
        await app._app.StartAsync();
        var address = app._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        app.Port = new Uri(address).Port;
        return app;
    }

    /// <summary>Completes with <see cref="Stopwatch.GetTimestamp"/> when message <paramref name="seq"/> reaches the app.</summary>
    public Task<long> DeliveredAsync(long seq) =>
        _deliveries.GetOrAdd(seq, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private void Map()
    {
        _app.MapGet("/healthz", () => Results.Ok());
        _app.MapPost("/echo", () => Results.Text("ok"));
        _app.MapGet("/dapr/config", () => Results.Json(new { entities = new[] { ActorType }, actorIdleTimeout = "1h", actorScanInterval = "30s" }));
        _app.MapGet("/dapr/subscribe", () => Results.Json(new[] { new { pubsubname = "pubsub", topic = Topic, route = "/events" } }));
        _app.MapPost("/events", async (HttpRequest request) =>
        {
            var arrived = Stopwatch.GetTimestamp();
            using var envelope = await JsonDocument.ParseAsync(request.Body);
            var seq = envelope.RootElement.GetProperty("data").GetProperty("seq").GetInt64();
            _deliveries.GetOrAdd(seq, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(arrived);
            return Results.Json(new { status = "SUCCESS" });
        });
        _app.MapPut($"/actors/{ActorType}/{{id}}/method/{{method}}", () => Results.Text("ok"));
        _app.MapDelete($"/actors/{ActorType}/{{id}}", () => Results.Ok());
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
