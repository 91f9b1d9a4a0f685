using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>
/// A tiny app implementing the app side of Dapr's actor protocol on Kestrel (port 0). By method name (for
/// reminder and timer callbacks, the last path segment):
/// <c>slow</c> waits the number of milliseconds in the body; <c>fail</c> answers 500 <c>boom</c>;
/// <c>flaky</c> answers 503 to its first two calls per actor; <c>empty</c> answers 204;
/// <c>reenter</c> calls <c>Hello</c> on the same actor through the sidecar;
/// <c>apperror</c> answers 200 with <c>X-Daprerrorresponseheader</c>;
/// anything else answers 200 <c>{replica}:{method}:{body}</c> with header <c>X-Echo</c>.
/// </summary>
internal sealed class ActorTestApp : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly ConcurrentDictionary<string, int> _flakyAttempts = new();

    private ActorTestApp(WebApplication web, string replica)
    {
        _web = web;
        Replica = replica;
    }

    public string Replica { get; }

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public ConcurrentQueue<AppCall> Calls { get; } = new();

    /// <summary>The address of this replica's sidecar, for methods that call actors back through it.</summary>
    public Uri? Sidecar { get; set; }

    public IEnumerable<AppCall> CallsTo(string actorType, string actorId) =>
        Calls.Where(c => c.ActorType == actorType && c.ActorId == actorId);

    public static async Task<ActorTestApp> StartAsync(string replica, ActivationLedger ledger, string? config, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var web = builder.Build();
        var app = new ActorTestApp(web, replica);

        web.MapGet("/dapr/config", () => config is null ? Results.NotFound() : Results.Text(config, "application/json"));
        web.MapPut("/actors/{actorType}/{actorId}/method/{**method}", async (HttpContext http, string actorType, string actorId, string method) =>
        {
            var body = await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync();
            var key = $"{actorType}/{actorId}";
            ledger.Enter(key, replica);
            try
            {
                app.Calls.Enqueue(new AppCall(replica, "PUT", actorType, actorId, method, body,
                    http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
                // Reminders (remind/{name}) and timers (timer/{name}) behave as the method named like them.
                switch (method.Split('/')[^1])
                {
                    case "slow":
                        await Task.Delay(int.Parse(body, System.Globalization.CultureInfo.InvariantCulture));
                        return Results.Text($"{replica}:{method}:{body}");
                    case "flaky":
                        var attempt = app._flakyAttempts.AddOrUpdate(key, 1, (_, n) => n + 1);
                        return attempt < 3 ? Results.Text("not yet", statusCode: 503) : Results.Text($"{replica}:flaky:{attempt}");
                    case "fail":
                        return Results.Text("boom", statusCode: 500);
                    case "empty":
                        return Results.NoContent();
                    case "reenter":
                        // Calls the same actor back through the sidecar, passing the turn's reentrancy id on, as SDKs do.
                        using (var client = new HttpClient { BaseAddress = app.Sidecar })
                        using (var inner = new HttpRequestMessage(HttpMethod.Post, $"v1.0/actors/{actorType}/{actorId}/method/Hello"))
                        {
                            if (http.Request.Headers.TryGetValue("Dapr-Reentrancy-Id", out var chain)) inner.Headers.Add("Dapr-Reentrancy-Id", chain.ToString());
                            using var answer = await client.SendAsync(inner);
                            return Results.Text($"outer+{await answer.Content.ReadAsStringAsync()}", statusCode: (int)answer.StatusCode);
                        }
                    case "apperror":
                        http.Response.Headers["X-Daprerrorresponseheader"] = "true";
                        return Results.Text("actor exception", statusCode: 200);
                    default:
                        http.Response.Headers["X-Echo"] = "yes";
                        return Results.Text($"{replica}:{method}:{body}", "text/plain");
                }
            }
            finally
            {
                ledger.Exit(key);
            }
        });
        web.MapDelete("/actors/{actorType}/{actorId}", (string actorType, string actorId) =>
        {
            ledger.Deactivate($"{actorType}/{actorId}", replica);
            app.Calls.Enqueue(new AppCall(replica, "DELETE", actorType, actorId, "", "", new Dictionary<string, string>()));
            return Results.Ok();
        });

        await web.StartAsync(cancellationToken);
        app.BaseAddress = new Uri(web.Urls.First() + "/");
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
    }
}
