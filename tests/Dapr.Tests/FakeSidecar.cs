using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprIoT.Dapr.Tests;

/// <summary>
/// A stand-in for daprd's HTTP API on a free loopback port: records every request and answers from
/// <see cref="Respond"/>; actor state is kept in memory so the actor host can be exercised end to end.
/// </summary>
public sealed class FakeSidecar : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeSidecar(WebApplication app) => _app = app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Actor state by "type/id/key", as JSON text.</summary>
    public ConcurrentDictionary<string, string> ActorState { get; } = new();

    /// <summary>Answers requests the built-in actor-state emulation does not; default 204.</summary>
    public Func<RecordedRequest, FakeResponse> Respond { get; set; } = _ => new FakeResponse(StatusCodes.Status204NoContent);

    public int Port { get; private set; }

    public static async Task<FakeSidecar> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sidecar = new FakeSidecar(app);
        app.Run(sidecar.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sidecar.Port = new Uri(address).Port;
        return sidecar;
    }

    public RecordedRequest Single(Func<RecordedRequest, bool> predicate) => Assert.Single(Requests, request => predicate(request));

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var request = new RecordedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(header => header.Key.ToLowerInvariant(), header => header.Value.ToString()),
            context.Request.ContentType,
            Encoding.UTF8.GetString(buffer.ToArray()));
        Requests.Enqueue(request);
        var response = EmulateActorState(request) ?? Respond(request);
        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body is not null)
        {
            context.Response.ContentType = response.ContentType ?? "application/json";
            await context.Response.WriteAsync(response.Body);
        }
    }

    private FakeResponse? EmulateActorState(RecordedRequest request)
    {
        var parts = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // v1.0/actors/{type}/{id}/state[/{key}]
        if (parts.Length < 5 || parts[0] != "v1.0" || parts[1] != "actors" || parts[4] != "state")
        {
            return null;
        }

        var prefix = $"{parts[2]}/{parts[3]}/";
        if (request.Method == "GET" && parts.Length == 6)
        {
            return ActorState.TryGetValue(prefix + parts[5], out var json) ? new FakeResponse(200, json) : new FakeResponse(204);
        }

        foreach (var operation in JsonNode.Parse(request.Body)!.AsArray())
        {
            var key = prefix + operation!["request"]!["key"]!.GetValue<string>();
            if (operation["operation"]!.GetValue<string>() == "upsert")
            {
                ActorState[key] = operation["request"]!["value"]!.ToJsonString();
            }
            else
            {
                ActorState.TryRemove(key, out _);
            }
        }

        return new FakeResponse(204);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
