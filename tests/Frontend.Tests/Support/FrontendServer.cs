using DaprIoT.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DaprIoT.Frontend.Tests.Support;

/// <summary>
/// The frontend as <see cref="FrontendHost"/> composes it, on Kestrel on a free loopback port (real sockets, so
/// WebSockets and the browser work), serving the built web app from services/Frontend/wwwroot.
/// </summary>
public sealed class FrontendServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FrontendServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
        Client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Url { get; }

    public HttpClient Client { get; }

    public static string ContentRoot => Path.Combine(RepositoryPaths.Root, "services", "Frontend");

    /// <param name="sidecarPort">DAPR_HTTP_PORT: where /api/* goes.</param>
    /// <param name="hubDestinations">Hubs:Destinations: where /hubs/* goes.</param>
    public static async Task<FrontendServer> StartAsync(int sidecarPort, IReadOnlyList<string> hubDestinations,
        CancellationToken cancellationToken, string? daprApiToken = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = ContentRoot, EnvironmentName = "Production" });
        var settings = new Dictionary<string, string?>
        {
            ["DAPR_HTTP_PORT"] = sidecarPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Whatever the test runner's environment holds, this run decides the token.
            ["DAPR_API_TOKEN"] = daprApiToken ?? "",
        };
        for (var i = 0; i < hubDestinations.Count; i++) settings[$"Hubs:Destinations:{i}"] = hubDestinations[i];
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = FrontendHost.Build(builder);
        await app.StartAsync(cancellationToken);
        return new FrontendServer(app, new Uri(app.Urls.First()));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
