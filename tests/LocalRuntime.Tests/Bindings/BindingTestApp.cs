using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>
/// A tiny app on a free port, shaped like a real ASP.NET Core service: routes are real endpoints, so an
/// OPTIONS request to a POST-only path gets ASP.NET Core's own 405 and an unmapped path its 404.
/// </summary>
public sealed class BindingTestApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<ReceivedEvent> _events = new();

    private BindingTestApp(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>Decides the status of each POST; 200 unless a test says otherwise.</summary>
    public Func<ReceivedEvent, int> Respond { get; set; } = _ => StatusCodes.Status200OK;

    /// <summary>Each POST is answered only once this task has completed; at once unless a test says otherwise.</summary>
    public Task AnswerWhen { get; set; } = Task.CompletedTask;

    /// <summary>POSTs received and not yet answered.</summary>
    public int Unanswered => Volatile.Read(ref _unanswered);

    private int _unanswered;

    /// <summary>"METHOD /path" of every request, in arrival order.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    /// <summary>Every POST the app answered 2xx.</summary>
    public IReadOnlyCollection<ReceivedEvent> Accepted => _events;

    public static async Task<BindingTestApp> StartAsync(IEnumerable<(string Path, AppRoute Route)> routes, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var testApp = new BindingTestApp(app);
        app.Use(async (context, next) =>
        {
            testApp._requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
            await next(context);
        });
        Delegate receive = testApp.ReceiveAsync;
        foreach (var (path, route) in routes)
        {
            app.MapPost(path, receive);
            if (route == AppRoute.OptionsAndPost) app.MapMethods(path, [HttpMethods.Options], () => Results.Ok());
        }
        await app.StartAsync(cancellationToken);
        testApp.Port = new Uri(app.Urls.First()).Port;
        return testApp;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var received = new ReceivedEvent(
            context.Request.Path,
            context.Request.Headers["topic"].ToString(),
            context.Request.Headers["traceparent"].ToString(),
            context.Request.ContentType,
            body.ToArray());
        Interlocked.Increment(ref _unanswered);
        try { await AnswerWhen.WaitAsync(context.RequestAborted); }
        finally { Interlocked.Decrement(ref _unanswered); }
        var status = Respond(received);
        if (status is >= 200 and < 300) _events.Enqueue(received);
        return Results.StatusCode(status);
    }
}
