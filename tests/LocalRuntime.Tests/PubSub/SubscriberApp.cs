using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>One delivery the subscriber app received.</summary>
public sealed record Delivery(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public JsonObject Event => (JsonObject)JsonNode.Parse(Body)!;
    public string Id => (string)Event["id"]!;
}

/// <summary>
/// A tiny app on a free port that records every POST it receives and answers with the handler set for the path
/// (default: 200 with an empty body).
/// </summary>
public sealed class SubscriberApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<Delivery, Task<IResult>>> _handlers = new();

    private SubscriberApp(WebApplication app) => _app = app;

    public ConcurrentQueue<Delivery> Received { get; } = new();

    public int Port { get; private set; }

    /// <summary>Starts on a free port, or on <paramref name="port"/> to bring a killed app back where its sidecar expects it.</summary>
    public static async Task<SubscriberApp> StartAsync(CancellationToken cancellationToken, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var subscriber = new SubscriberApp(app);
        app.MapPost("/{**path}", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var delivery = new Delivery(http.Request.Path, headers, buffer.ToArray());
            subscriber.Received.Enqueue(delivery);
            return subscriber._handlers.TryGetValue(delivery.Path, out var handler) ? await handler(delivery) : Results.Ok();
        });
        await app.StartAsync(cancellationToken);
        subscriber.Port = new Uri(app.Urls.First()).Port;
        return subscriber;
    }

    public void Handle(string path, Func<Delivery, Task<IResult>> handler) => _handlers[path] = handler;

    public void Handle(string path, Func<Delivery, IResult> handler) => _handlers[path] = d => Task.FromResult(handler(d));

    public IReadOnlyList<Delivery> At(string path) => [.. Received.Where(d => d.Path == path)];

    /// <summary>Stops at once, aborting requests in progress, as when the app's process dies.</summary>
    public async Task KillAsync()
    {
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // Handlers a test left waiting must not hold up the next test: a short grace period, then abort.
        using var grace = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }
}
