using DaprIoT.LocalRuntime.Hosting;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.Core;

/// <summary>Service invocation between real app processes (the ConformanceApp), started by dapr-local from dapr.yaml.</summary>
public sealed class ConformanceAppInvocationTests
{
    [Fact]
    public async Task Two_replicas_answer_in_turn_and_the_echo_shows_what_the_callee_received()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dapr = await LocalRuntimeHarness.StartAsync(
        [
            new HarnessApp("frontend"),
            ConformanceAppProcess.Entry("echo", FreePorts.Next()),
            ConformanceAppProcess.Entry("echo", FreePorts.Next()),
        ], cancellationToken: ct);
        var frontend = dapr.SidecarUrl("frontend");

        var pids = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            var pid = JsonDocument.Parse(await dapr.Client.GetStringAsync($"{frontend}/v1.0/invoke/echo/method/pid", ct)).RootElement;
            pids.Add(pid.GetProperty("pid").GetInt32());
        }
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{frontend}/v1.0/invoke/echo/method/echo/a/b?c=d")
        {
            Content = new StringContent("hello", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Add("x-trace-me", "1");
        using var echoed = await dapr.Client.SendAsync(request, ct);
        using var status = await dapr.Client.GetAsync($"{frontend}/v1.0/invoke/echo/method/status/503", ct);

        Assert.Equal(2, pids.Distinct().Count());
        Assert.Equal(pids[0], pids[2]);
        Assert.Equal(pids[1], pids[3]);
        var echo = JsonDocument.Parse(await echoed.Content.ReadAsStringAsync(ct)).RootElement;
        Assert.Equal(("PUT", "/echo/a/b", "?c=d", "hello"),
            (echo.GetProperty("method").GetString(), echo.GetProperty("path").GetString(), echo.GetProperty("query").GetString(), echo.GetProperty("body").GetString()));
        var headers = echo.GetProperty("headers");
        Assert.Equal("1", headers.GetProperty("x-trace-me").GetString());
        Assert.Equal("frontend", headers.GetProperty("dapr-caller-app-id").GetString());
        Assert.Equal("echo", headers.GetProperty("dapr-callee-app-id").GetString());
        Assert.Equal((HttpStatusCode)503, status.StatusCode);
        Assert.Equal("application/problem+json", status.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task An_app_that_requires_the_app_token_accepts_calls_through_its_sidecar()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = Guid.NewGuid().ToString("N");
        var appPort = FreePorts.Next();
        await using var dapr = await LocalRuntimeHarness.StartAsync(
        [
            new HarnessApp("frontend"),
            ConformanceAppProcess.Entry("secured", appPort, new Dictionary<string, string> { ["APP_API_TOKEN"] = token }),
        ], cancellationToken: ct);

        using var viaSidecar = await dapr.Client.GetAsync($"{dapr.SidecarUrl("frontend")}/v1.0/invoke/secured/method/pid", ct);
        using var direct = await dapr.Client.GetAsync($"http://127.0.0.1:{appPort.ToString(CultureInfo.InvariantCulture)}/pid", ct);

        Assert.Equal(HttpStatusCode.OK, viaSidecar.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, direct.StatusCode);
    }
}
