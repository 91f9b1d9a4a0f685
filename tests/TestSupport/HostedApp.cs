using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DaprIoT.TestSupport;

/// <summary>
/// An HTTP app hosted inside the test process on a free port, for runs whose app entry has no command. It records
/// every request and answers with <see cref="Handler"/> (default: 200 "ok"; 404 for /dapr/*).
/// </summary>
public sealed class HostedApp : IAsyncDisposable
{
    public sealed record Request(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);

    private readonly WebApplication _app;

    private HostedApp(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The port the app listens on (bound as port 0, so no other process can take it first).</summary>
    public int Port { get; private set; }

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Return true when the handler answered the request.</summary>
    public Func<HttpContext, Task<bool>>? Handler { get; set; }

    public IEnumerable<Request> To(string pathPrefix) => Requests.Where(r => r.PathAndQuery.StartsWith(pathPrefix, StringComparison.Ordinal));

    public static async Task<HostedApp> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var web = builder.Build();
        var hosted = new HostedApp(web);
        web.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            hosted.Requests.Enqueue(new Request(context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body));
            if (hosted.Handler is { } handler && await handler(context)) return;
            if (context.Request.Path.StartsWithSegments("/dapr"))
            {
                context.Response.StatusCode = 404;
                return;
            }
            await context.Response.WriteAsync("ok", context.RequestAborted);
        });
        await web.StartAsync(cancellationToken);
        hosted.Port = new Uri(web.Urls.First()).Port;
        return hosted;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
