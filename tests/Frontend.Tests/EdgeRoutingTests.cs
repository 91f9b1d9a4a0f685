using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Frontend.Tests.Support;
using DaprIoT.TestSupport;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.Frontend.Tests;

/// <summary>
/// The edge routing against real listeners: a recording app in the sidecar's place (what reaches the sidecar is what
/// daprd would invoke), and two replicas of a device-management stand-in with a real SignalR hub.
/// </summary>
public sealed class EdgeRoutingTests : IAsyncLifetime
{
    private HostedApp? _sidecar;
    private DeviceManagementStandIn? _replicaA;
    private DeviceManagementStandIn? _replicaB;
    private FrontendServer? _frontend;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HostedApp Sidecar => _sidecar!;

    private FrontendServer Frontend => _frontend!;

    public async ValueTask InitializeAsync()
    {
        _sidecar = await HostedApp.StartAsync(Ct);
        _sidecar.Handler = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            context.Response.Headers["x-from"] = "sidecar";
            await context.Response.WriteAsync("answered", context.RequestAborted);
            return true;
        };
        _replicaA = await DeviceManagementStandIn.StartAsync("a", Ct);
        _replicaB = await DeviceManagementStandIn.StartAsync("b", Ct);
        _replicaA.Add(DeviceManagementStandIn.LightBulb("bulb-1", "Desk lamp"));
        _replicaB.Add(DeviceManagementStandIn.LightBulb("bulb-1", "Desk lamp"));
        _frontend = await FrontendServer.StartAsync(_sidecar.Port, [_replicaA.Url, _replicaB.Url], Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_frontend is not null) await _frontend.DisposeAsync();
        if (_replicaA is not null) await _replicaA.DisposeAsync();
        if (_replicaB is not null) await _replicaB.DisposeAsync();
        if (_sidecar is not null) await _sidecar.DisposeAsync();
    }

    [Theory]
    [InlineData("/api/auth/login", "auth")]
    [InlineData("/api/devices", "device-management")]
    [InlineData("/api/devices/bulb-1/desired?why=test", "device-management")]
    [InlineData("/api/statistics/devices/bulb-1/series?resolution=hour", "statistics")]
    public async Task Api_calls_go_to_the_sidecar_as_an_invocation_of_the_owning_app(string path, string appId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent("""{"power":true}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", "the-token");
        // A browser cannot choose the target app or bring a sidecar token of its own.
        request.Headers.Add("dapr-app-id", "sousvide");
        request.Headers.Add("dapr-api-token", "forged");
        // Nor claim another address: auth limits logins per browser address.
        request.Headers.Add(EdgeHeaders.ClientAddress, "203.0.113.7");

        var response = await Frontend.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("answered", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("sidecar", response.Headers.GetValues("x-from").Single());
        var received = Assert.Single(Sidecar.To(path.Split('?')[0]));
        Assert.Equal(("POST", path, """{"power":true}"""), (received.Method, received.PathAndQuery, received.Body));
        Assert.Equal(appId, received.Headers["dapr-app-id"]);
        Assert.Equal("Bearer the-token", received.Headers["authorization"]);
        Assert.False(received.Headers.ContainsKey("dapr-api-token"));
        Assert.Equal("127.0.0.1", received.Headers[EdgeHeaders.ClientAddress.ToLowerInvariant()]);
    }

    [Fact]
    public async Task The_sidecar_token_is_sent_when_the_sidecar_requires_one()
    {
        await using var frontend = await FrontendServer.StartAsync(Sidecar.Port, [_replicaA!.Url], Ct, daprApiToken: "sidecar-secret");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        request.Headers.Add("dapr-api-token", "forged");

        await frontend.Client.SendAsync(request, Ct);

        Assert.Equal("sidecar-secret", Assert.Single(Sidecar.To("/api/auth/me")).Headers["dapr-api-token"]);
    }

    [Fact]
    public async Task The_hub_is_reached_over_a_websocket_through_the_frontend()
    {
        using var socket = new ClientWebSocket();
        var url = new UriBuilder(Frontend.Url) { Scheme = "ws", Path = "/hubs/devices", Query = "access_token=the-token" }.Uri;
        await socket.ConnectAsync(url, Ct);

        // SignalR's JSON protocol: a handshake, then the server's first invocation is the snapshot.
        await SendAsync(socket, """{"protocol":"json","version":1}""");
        Assert.Equal("{}", await ReceiveAsync(socket));
        var snapshot = JsonDocument.Parse(await ReceiveAsync(socket)).RootElement;
        Assert.Equal("snapshot", snapshot.GetProperty("target").GetString());
        Assert.Equal("bulb-1", snapshot.GetProperty("arguments")[0].GetProperty("devices")[0].GetProperty("deviceId").GetString());

        // A change pushed by whichever replica holds the socket arrives live.
        var replica = _replicaA!.HubTokens.Contains("the-token") ? _replicaA : _replicaB!;
        await replica.ChangeAsync("bulb-1", "presence", twin => twin["presence"]!["status"] = "offline");
        var changed = JsonDocument.Parse(await ReceiveAsync(socket)).RootElement;
        Assert.Equal("deviceChanged", changed.GetProperty("target").GetString());
        Assert.Equal("offline", changed.GetProperty("arguments")[0].GetProperty("twin").GetProperty("presence").GetProperty("status").GetString());
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
    }

    [Fact]
    public async Task A_client_that_negotiates_stays_on_the_replica_it_negotiated_with()
    {
        using var handler = new HttpClientHandler { UseCookies = false };
        using var client = new HttpClient(handler) { BaseAddress = Frontend.Url };

        var first = await client.PostAsync("/hubs/devices/negotiate?negotiateVersion=1", null, Ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var cookie = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(EdgeRoutes.HubAffinityCookie + "=", StringComparison.Ordinal));
        var replica = first.Headers.GetValues("x-replica").Single();

        for (var i = 0; i < 10; i++)
        {
            using var again = new HttpRequestMessage(HttpMethod.Post, "/hubs/devices/negotiate?negotiateVersion=1");
            again.Headers.Add("Cookie", cookie.Split(';')[0]);
            Assert.Equal(replica, (await client.SendAsync(again, Ct)).Headers.GetValues("x-replica").Single());
        }

        // Without the cookie, connections spread over both replicas.
        var seen = new HashSet<string>();
        for (var i = 0; i < 40 && seen.Count < 2; i++)
            seen.Add((await client.PostAsync("/hubs/devices/negotiate?negotiateVersion=1", null, Ct)).Headers.GetValues("x-replica").Single());
        Assert.Equal(["a", "b"], seen.Order());
    }

    private static Task SendAsync(ClientWebSocket socket, string message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message + '\u001e'), WebSocketMessageType.Text, true, Ct);

    /// <summary>One SignalR message (they end with the record separator 0x1E), skipping pings (type 6).</summary>
    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var text = new StringBuilder();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, timeout.Token);
                text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            } while (!result.EndOfMessage);
            var message = text.ToString().TrimEnd('\u001e');
            if (!message.Contains("\"type\":6", StringComparison.Ordinal)) return message;
        }
    }
}
