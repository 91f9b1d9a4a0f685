using System.Net;
using DaprIoT.Dapr.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.Dapr.Tests;

public sealed class AppApiTokenTests
{
    private static Task<TestHost> StartAsync(string? token) => TestHost.StartAsync(_ => { }, app =>
    {
        app.UseDaprAppApiToken();
        app.MapGet("/work", () => Results.Ok());
        app.MapGet("/healthz", () => Results.Ok());
        app.MapGet("/alive", () => Results.Ok());
    }, new Dictionary<string, string?> { ["APP_API_TOKEN"] = token });

    private static HttpRequestMessage Get(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }

        return request;
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("wrong", HttpStatusCode.Unauthorized)]
    [InlineData("s3cret", HttpStatusCode.OK)]
    public async Task With_app_api_token_set_requests_need_the_matching_dapr_api_token(string? presented, HttpStatusCode expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("s3cret");

        var response = await host.Client.SendAsync(Get("/work", presented), ct);

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/alive")]
    public async Task Health_probes_pass_without_a_token_because_daprd_sends_none_on_them(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync("s3cret");

        var response = await host.Client.SendAsync(Get(path, null), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Without_app_api_token_nothing_is_checked()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(null);

        var response = await host.Client.SendAsync(Get("/work", null), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
