using System.Net;
using System.Text.RegularExpressions;
using DaprIoT.Frontend.Tests.Support;

namespace DaprIoT.Frontend.Tests;

/// <summary>The built web app as the frontend serves it: page paths fall back to index.html, API paths never do.</summary>
public sealed partial class StaticFilesTests : IAsyncLifetime
{
    private FrontendServer? _frontend;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Client => _frontend!.Client;

    public async ValueTask InitializeAsync() =>
        // Nothing listens on the sidecar port: these requests never leave the frontend.
        _frontend = await FrontendServer.StartAsync(1, ["http://127.0.0.1:1"], Ct);

    public async ValueTask DisposeAsync()
    {
        if (_frontend is not null) await _frontend.DisposeAsync();
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/signin")]
    [InlineData("/devices/dev-123")]
    public async Task Page_paths_serve_the_app_which_is_checked_on_every_load(string path)
    {
        var response = await Client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>DaprIoT</title>", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoCache);
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hashed_bundle_is_served_and_cached_for_good()
    {
        var index = await Client.GetStringAsync("/", Ct);
        var script = ScriptPath().Match(index).Groups[1].Value;

        var response = await Client.GetAsync(script, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("/assets/missing.js")]
    [InlineData("/favicon.ico")]
    public async Task A_missing_file_is_404_not_the_app(string path) =>
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync(path, Ct)).StatusCode);

    [Theory]
    [InlineData("/api/unknown")]
    [InlineData("/api")]
    public async Task An_api_path_no_service_owns_is_a_404_problem(string path)
    {
        var response = await Client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/dapr/config")]
    [InlineData("/dapr/subscribe")]
    public async Task The_sidecars_questions_to_the_app_are_404_as_it_has_no_config_or_subscriptions(string path) =>
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync(path, Ct)).StatusCode);

    [Fact]
    public async Task The_pages_settings_are_served_fresh_on_every_load()
    {
        var response = await Client.GetAsync("/settings.json", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache);
        Assert.Equal("{\"chartRefreshSeconds\":15}", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Liveness_answers_without_a_sidecar() =>
        Assert.Equal("Healthy", await Client.GetStringAsync("/healthz", Ct));

    [GeneratedRegex("<script[^>]+src=\"(/assets/[^\"]+\\.js)\"")]
    private static partial Regex ScriptPath();
}
