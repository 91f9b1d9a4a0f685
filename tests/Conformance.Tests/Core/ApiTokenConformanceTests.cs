using System.Net;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.Core;

public sealed class ApiTokenConformanceTests
{
    [Fact]
    public async Task Api_tokens_are_enforced_on_the_sidecar_and_sent_to_the_app()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var orders = await HostedApp.StartAsync(ct);
        await using var dapr = await LocalRuntimeHarness.StartAsync(
        [
            new HarnessApp("frontend", Env: new Dictionary<string, string> { ["DAPR_API_TOKEN"] = "front-token" }),
            new HarnessApp("orders", orders.Port, Env: new Dictionary<string, string> { ["APP_API_TOKEN"] = "orders-app-token" }),
        ], cancellationToken: ct);
        var frontend = dapr.SidecarUrl("frontend");

        using var withoutToken = await dapr.Client.GetAsync($"{frontend}/v1.0/invoke/orders/method/secret", ct);
        using var health = await dapr.Client.GetAsync($"{frontend}/v1.0/healthz", ct);
        using var withToken = new HttpRequestMessage(HttpMethod.Get, $"{frontend}/v1.0/invoke/orders/method/secret");
        withToken.Headers.Add("dapr-api-token", "front-token");
        using var allowed = await dapr.Client.SendAsync(withToken, ct);

        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.StatusCode);
        Assert.Equal("invalid api token", await withoutToken.Content.ReadAsStringAsync(ct));
        Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        // Only the allowed call reached the app, carrying the app token instead of the caller's sidecar token.
        var received = Assert.Single(orders.To("/secret"));
        Assert.Equal("orders-app-token", received.Headers["dapr-api-token"]);
        Assert.Equal("orders-app-token", Assert.Single(orders.To("/dapr/config")).Headers["dapr-api-token"]);
    }
}
