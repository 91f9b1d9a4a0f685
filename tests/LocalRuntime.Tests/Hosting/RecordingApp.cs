using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DaprIoT.LocalRuntime.Tests.Hosting;

/// <summary>
/// A real HTTP app for sidecar tests, hosted in the test process on a free loopback port. It records every request
/// (in order, with headers and body) and answers with whatever <see cref="Handler"/> says; by default 200 "ok",
/// 404 for /dapr/config and /dapr/subscribe.
/// </summary>
public sealed class RecordingApp : IAsyncDisposable
{
    public sealed record Request(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body, long Sequence);

    private static long _sequence;
    private readonly WebApplication _app;

    private RecordingApp(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The port the app listens on (port 0 is bound directly unless a port is given).</summary>
    public int Port { get; private set; }

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Answers a request; return false to fall through to the default answer.</summary>
    public Func<HttpContext, Task<bool>>? Handler { get; set; }

    /// <summary>A global, monotonic sequence number: compare with other apps' and test probes' numbers to check ordering.</summary>
    public static long NextSequence() => Interlocked.Increment(ref _sequence);

    public static async Task<RecordingApp> StartAsync(int? port = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port ?? 0));
        var web = builder.Build();
        var recording = new RecordingApp(web);
        web.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            recording.Requests.Enqueue(new Request(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body, NextSequence()));
            if (recording.Handler is { } handler && await handler(context)) return;
            if (context.Request.Path.StartsWithSegments("/dapr"))
            {
                context.Response.StatusCode = 404;
                return;
            }
            await context.Response.WriteAsync("ok", context.RequestAborted);
        });
        await web.StartAsync(cancellationToken);
        recording.Port = new Uri(web.Urls.First()).Port;
        return recording;
    }

    public IEnumerable<Request> To(string path) => Requests.Where(r => r.PathAndQuery.StartsWith(path, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
