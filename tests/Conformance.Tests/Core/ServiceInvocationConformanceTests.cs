using System.Net;
using System.Text;
using DaprIoT.Conformance.Tests.Harness;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace DaprIoT.Conformance.Tests.Core;

public sealed class ServiceInvocationConformanceTests
{
    [Fact]
    public async Task A_call_reaches_the_other_app_with_status_headers_and_body_passed_through()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var orders = await HostedApp.StartAsync(ct);
        orders.Handler = async context =>
        {
            if (!context.Request.Path.StartsWithSegments("/orders")) return false;
            context.Response.StatusCode = StatusCodes.Status201Created;
            context.Response.Headers["x-order-id"] = "o-1";
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"id":"o-1"}""", ct);
            return true;
        };
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp("frontend"), new HarnessApp("orders", orders.Port)], cancellationToken: ct);

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{dapr.SidecarUrl("frontend")}/v1.0/invoke/orders/method/orders?dry=false")
        {
            Content = new StringContent("""{"sku":"bulb"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-request-id", "r-9");
        using var response = await dapr.Client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("o-1", response.Headers.GetValues("x-order-id").Single());
        Assert.Equal("""{"id":"o-1"}""", await response.Content.ReadAsStringAsync(ct));
        Assert.True(response.Headers.Contains("traceparent"));
        var received = Assert.Single(orders.To("/orders"));
        Assert.Equal(("POST", "/orders?dry=false", """{"sku":"bulb"}"""), (received.Method, received.PathAndQuery, received.Body));
        Assert.Equal("r-9", received.Headers["x-request-id"]);
        Assert.Equal("frontend", received.Headers["dapr-caller-app-id"]);
        Assert.Equal("orders", received.Headers["dapr-callee-app-id"]);
        Assert.True(received.Headers.ContainsKey("traceparent"));
    }

    [Fact]
    public async Task Error_statuses_from_the_target_are_passed_through_unchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var orders = await HostedApp.StartAsync(ct);
        orders.Handler = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            await context.Response.WriteAsync("busy", ct);
            return true;
        };
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp("frontend"), new HarnessApp("orders", orders.Port)], cancellationToken: ct);

        using var byHeader = new HttpRequestMessage(HttpMethod.Delete, $"{dapr.SidecarUrl("frontend")}/orders/1");
        byHeader.Headers.Add("dapr-app-id", "orders");
        using var response = await dapr.Client.SendAsync(byHeader, ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("busy", await response.Content.ReadAsStringAsync(ct));
        Assert.Equal("DELETE", orders.To("/orders/1").Single().Method);
    }

    [Fact]
    public async Task Calls_alternate_between_two_replicas_of_the_target()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = await HostedApp.StartAsync(ct);
        await using var second = await HostedApp.StartAsync(ct);
        await using var dapr = await LocalRuntimeHarness.StartAsync(
            [new HarnessApp("frontend"), new HarnessApp("orders", first.Port), new HarnessApp("orders", second.Port)], cancellationToken: ct);

        for (var i = 0; i < 4; i++)
        {
            using var response = await dapr.Client.GetAsync($"{dapr.SidecarUrl("frontend")}/v1.0/invoke/orders/method/which", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(2, first.To("/which").Count());
        Assert.Equal(2, second.To("/which").Count());
    }

    [Fact]
    public async Task Calling_an_unknown_app_fails_with_err_direct_invoke()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp("frontend")], cancellationToken: ct);

        using var response = await dapr.Client.GetAsync($"{dapr.SidecarUrl("frontend")}/v1.0/invoke/missing-{Guid.NewGuid():N}/method/x", ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("\"errorCode\":\"ERR_DIRECT_INVOKE\"", await response.Content.ReadAsStringAsync(ct));
    }
}
