using DaprIoT.ServiceDefaults;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace DaprIoT.Frontend;

/// <summary>The frontend's composition, shared by Program.cs and the tests that host it in-process.</summary>
public static class FrontendHost
{
    /// <summary>
    /// The browser app is built into wwwroot by Vite: <c>index.html</c> plus content-hashed files under <c>assets/</c>,
    /// which never change under one name and may be cached for good; index.html must be checked on every load so a
    /// deployment is picked up.
    /// </summary>
    private const string HashedAssetsPath = "/assets/";

    /// <summary>What pages may load and connect to: only this origin (the hub's WebSocket included).</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

    /// <exception cref="FrontendConfigurationException">the configuration cannot work; nothing was started.</exception>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var settings = FrontendSettings.Read(builder.Configuration);
        builder.AddServiceDefaults();
        builder.Services.AddReverseProxy().LoadFromMemory(EdgeRoutes.Routes(settings), EdgeRoutes.Clusters(settings))
            .AddTransforms(EdgeRoutes.AddClientAddress);

        var app = builder.Build();
        app.MapServiceDefaults();
        var files = new StaticFileOptions { OnPrepareResponse = SetCacheHeaders };
        app.UseStaticFiles(files);
        app.MapReverseProxy();
        // What the page needs to know of this configuration; read once per page load, so never cached.
        app.MapGet("/settings.json", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-cache";
            return TypedResults.Ok(new WebSettings(settings.ChartRefreshSeconds));
        });
        // Routes more specific than these win: a path under /api that no service owns is an API 404, not the app's page.
        app.Map("/api/{**rest}", () => Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: "No service answers this path."));
        // The sidecar asks the app for /dapr/config and /dapr/subscribe at start: this app has neither, which a 404 says
        // (the page's HTML would be read as a malformed answer).
        app.Map("/dapr/{**rest}", () => Results.NotFound());
        // Any other page path (one without a file extension) is a view of the single-page app, which routes it itself.
        app.MapFallbackToFile("index.html", files);
        return app;
    }

    private static void SetCacheHeaders(StaticFileResponseContext context)
    {
        var headers = context.Context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        if (context.Context.Request.Path.StartsWithSegments(HashedAssetsPath.TrimEnd('/'), StringComparison.Ordinal))
        {
            headers.CacheControl = "public, max-age=31536000, immutable";
            return;
        }
        headers.CacheControl = "no-cache";
        if (context.File.Name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
        }
    }
}

/// <summary>The page's settings (<c>web/src/settings.ts</c>), served as <c>/settings.json</c>.</summary>
/// <param name="ChartRefreshSeconds">see <see cref="FrontendSettings.ChartRefreshSeconds"/>.</param>
public sealed record WebSettings(int ChartRefreshSeconds);
