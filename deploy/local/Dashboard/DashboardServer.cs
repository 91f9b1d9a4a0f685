using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Sidecar;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DaprIoT.LocalRuntime.Dashboard;

/// <summary>
/// A read-only web page over the running runtime, like <c>dapr dashboard</c>: every app replica with its ports,
/// process, health and what its sidecar's metadata API reports (components, subscriptions, actors).
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _web;

    private DashboardServer(WebApplication web) => _web = web;

    public Uri Address { get; private set; } = null!;

    public static async Task<DashboardServer> StartAsync(IReadOnlyList<SidecarHost> sidecars, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var web = builder.Build();
        web.MapGet("/", () => Results.Content(DashboardPage.Html, "text/html; charset=utf-8"));
        web.MapGet("/api/overview", () => Results.Content(Overview(sidecars).ToJsonString(), "application/json"));
        var server = new DashboardServer(web);
        await web.StartAsync(cancellationToken);
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    internal static JsonObject Overview(IReadOnlyList<SidecarHost> sidecars) => new()
    {
        ["runtimeVersion"] = SidecarHost.RuntimeVersion,
        ["apps"] = new JsonArray(sidecars.Select(sidecar => (JsonNode)new JsonObject
        {
            ["appId"] = sidecar.AppId,
            ["instanceId"] = sidecar.Context.InstanceId,
            ["appPort"] = sidecar.Settings.App.AppPort,
            ["httpPort"] = sidecar.Settings.HttpPort,
            ["ready"] = sidecar.Ready,
            ["outboundReady"] = sidecar.OutboundReady,
            ["metadata"] = sidecar.DescribeMetadata(),
        }).ToArray()),
    };

    public async ValueTask DisposeAsync() => await _web.DisposeAsync();
}
