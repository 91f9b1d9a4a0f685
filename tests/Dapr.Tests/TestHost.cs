using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DaprIoT.Dapr.Tests;

/// <summary>An app built on the protocol library, in process (TestServer), configured like the sidecar would configure it.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private TestHost(WebApplication app)
    {
        App = app;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public static async Task<TestHost> StartAsync(Action<WebApplicationBuilder> configure, Action<WebApplication> map,
        IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        configure(builder);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new TestHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}
