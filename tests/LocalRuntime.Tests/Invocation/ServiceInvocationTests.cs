using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Invocation;

public sealed class ServiceInvocationTests
{
    private static string TwoApps(int targetPort, string targetExtra = "", string callerExtra = "") => $$"""
        version: 1
        common: { resourcesPaths: [./resources] }
        apps:
          - appID: caller
            appDirPath: ./apps/caller
        {{callerExtra}}
          - appID: target
            appDirPath: ./apps/target
            appPort: {{targetPort}}
        {{targetExtra}}
        """;

    [Fact]
    public async Task Status_headers_body_verb_and_query_pass_through_with_daprs_headers_added()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        target.Handler = async context =>
        {
            if (!context.Request.Path.StartsWithSegments("/api")) return false;
            context.Response.StatusCode = 418;
            context.Response.Headers["x-target"] = "yes";
            context.Response.ContentType = "application/vnd.test";
            await context.Response.WriteAsync("teapot:" + context.Request.QueryString.Value, ct);
            return true;
        };
        await using var runtime = await InProcessRuntime.StartAsync(TwoApps(target.Port), cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var request = new HttpRequestMessage(HttpMethod.Patch, $"{runtime.Url("caller")}/v1.0/invoke/target/method/api/v1/items?x=1&y=2")
        {
            Content = new StringContent("""{"n":1}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-custom", "kept");
        request.Headers.Add("dapr-caller-app-id", "forged");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        using var response = await runtime.Client.SendAsync(request, ct);

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("yes", response.Headers.GetValues("x-target").Single());
        Assert.Equal("application/vnd.test", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("teapot:?x=1&y=2", await response.Content.ReadAsStringAsync(ct));
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", response.Headers.GetValues("traceparent").Single());

        var received = Assert.Single(target.To("/api"));
        Assert.Equal("PATCH", received.Method);
        Assert.Equal("/api/v1/items?x=1&y=2", received.PathAndQuery);
        Assert.Equal("""{"n":1}""", received.Body);
        Assert.Equal("kept", received.Headers["x-custom"]);
        Assert.StartsWith("application/json", received.Headers["content-type"]);
        Assert.Equal("caller", received.Headers["dapr-caller-app-id"]);
        Assert.Equal("target", received.Headers["dapr-callee-app-id"]);
        Assert.Equal("127.0.0.1", received.Headers["x-forwarded-for"]);
        Assert.Contains("for=127.0.0.1", received.Headers["forwarded"]);
        Assert.True(received.Headers.ContainsKey("x-forwarded-host"));
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", received.Headers["traceparent"]);
        Assert.DoesNotContain("b7ad6b7169203331", received.Headers["traceparent"]);
    }

    [Fact]
    public async Task The_dapr_app_id_header_and_basic_auth_select_the_target_and_are_not_forwarded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync(TwoApps(target.Port), cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var byHeader = new HttpRequestMessage(HttpMethod.Post, $"{runtime.Url("caller")}/orders/7") { Content = new StringContent("a") };
        byHeader.Headers.Add("dapr-app-id", "target");
        using var headerResponse = await runtime.Client.SendAsync(byHeader, ct);
        using var byBasicAuth = new HttpRequestMessage(HttpMethod.Get, $"{runtime.Url("caller")}/orders/8");
        byBasicAuth.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("dapr-app-id:target")));
        using var basicResponse = await runtime.Client.SendAsync(byBasicAuth, ct);

        Assert.Equal(HttpStatusCode.OK, headerResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, basicResponse.StatusCode);
        var first = Assert.Single(target.To("/orders/7"));
        Assert.False(first.Headers.ContainsKey("dapr-app-id"));
        Assert.Equal("a", first.Body);
        Assert.False(Assert.Single(target.To("/orders/8")).Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task An_unknown_or_unreachable_app_gives_err_direct_invoke()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync(TwoApps(target.Port), cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var unknown = await runtime.Client.GetAsync($"{runtime.Url("caller")}/v1.0/invoke/nobody/method/x", ct);
        await target.DisposeAsync();
        using var down = await runtime.Client.GetAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/x", ct);

        foreach (var response in new[] { unknown, down })
        {
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
            Assert.Equal("ERR_DIRECT_INVOKE", error.GetProperty("errorCode").GetString());
            Assert.StartsWith("failed to invoke, id: ", error.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task Calls_round_robin_over_the_replicas_of_an_app()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var second = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync(TwoApps(first.Port, targetExtra: $"""
              - appID: target
                appDirPath: ./apps/target
                appPort: {second.Port}
            """), cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        for (var i = 0; i < 6; i++)
            using (await runtime.Client.GetAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/rr", ct)) { }

        Assert.Equal(3, first.To("/rr").Count());
        Assert.Equal(3, second.To("/rr").Count());
        Assert.Equal("target-1", runtime.Sidecar("target", 1).Context.InstanceId);
    }

    [Fact]
    public async Task A_resiliency_retry_policy_retries_failed_calls_with_the_same_body()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        var calls = 0;
        target.Handler = context =>
        {
            if (context.Request.Path != "/flaky" || Interlocked.Increment(ref calls) > 2) return Task.FromResult(false);
            context.Response.StatusCode = 503;
            return Task.FromResult(true);
        };
        await using var runtime = await InProcessRuntime.StartAsync(TwoApps(target.Port), new Dictionary<string, string>
        {
            ["resiliency.yaml"] = """
                apiVersion: dapr.io/v1alpha1
                kind: Resiliency
                metadata: { name: r }
                spec:
                  policies: { retries: { quick: { policy: constant, duration: 10ms, maxRetries: 3 } } }
                  targets: { apps: { target: { retry: quick } } }
                """,
        }, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var response = await runtime.Client.PostAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/flaky", new StringContent("payload"), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["payload", "payload", "payload"], target.To("/flaky").Select(r => r.Body));
    }

    [Fact]
    public async Task A_resiliency_timeout_fails_a_slow_call_with_err_direct_invoke()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        target.Handler = async context =>
        {
            if (context.Request.Path != "/slow") return false;
            await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
            return true;
        };
        await using var runtime = await InProcessRuntime.StartAsync(TwoApps(target.Port), new Dictionary<string, string>
        {
            ["resiliency.yaml"] = """
                apiVersion: dapr.io/v1alpha1
                kind: Resiliency
                metadata: { name: r }
                spec:
                  policies: { timeouts: { short: 200ms } }
                  targets: { apps: { target: { timeout: short } } }
                """,
        }, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var response = await runtime.Client.GetAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/slow", ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("timeout", await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task The_callees_access_control_denies_a_caller_with_403()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        var runFile = TwoApps(target.Port, targetExtra: "    configFilePath: ./config.yaml");
        await using var runtime = await InProcessRuntimeWithFiles(runFile, ct);
        await runtime.WaitHealthyAsync(ct);

        using var allowed = await runtime.Client.GetAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/public/x", ct);
        using var denied = await runtime.Client.PostAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/admin", new StringContent(""), ct);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Empty(target.To("/admin"));
    }

    [Fact]
    public async Task Trailing_slashes_are_stripped_as_daprds_router_does()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync(TwoApps(target.Port), cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var invoked = await runtime.Client.GetAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/items/?page=2", ct);
        using var health = await runtime.Client.GetAsync($"{runtime.Url("caller")}/v1.0/healthz/", ct);

        Assert.Equal(HttpStatusCode.OK, invoked.StatusCode);
        Assert.Equal("/items?page=2", Assert.Single(target.To("/items")).PathAndQuery);
        Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);
    }

    [Fact]
    public async Task Repeated_slashes_collapse_before_routing_as_the_dotnet_actor_sdk_needs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync(TwoApps(target.Port), cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var health = await runtime.Client.GetAsync($"{runtime.Url("caller")}//v1.0/healthz", ct);
        using var invoked = await runtime.Client.GetAsync($"{runtime.Url("caller")}//v1.0//invoke/target/method//items//b", ct);

        Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, invoked.StatusCode);
        Assert.Single(target.To("/items/b"));
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("//v1.0/actors/A/1/method/m", "/v1.0/actors/A/1/method/m")]
    [InlineData("/v1.0/state/s/k/", "/v1.0/state/s/k")]
    [InlineData("/a/./b/../c//", "/a/c")]
    [InlineData("/../../x", "/x")]
    [InlineData("/v1.0/actors/A/1/method/m", "/v1.0/actors/A/1/method/m")]
    [InlineData("/a/.b/c..", "/a/.b/c..")]
    [InlineData("/a/..", "/")]
    [InlineData("/a/.", "/a")]
    [InlineData("", "/")]
    public void Request_paths_are_cleaned_like_gos_path_clean(string path, string cleaned) =>
        Assert.Equal(cleaned, RequestPath.Clean(path));

    [Fact]
    public async Task A_body_over_max_body_size_is_refused_with_413()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync(TwoApps(target.Port, callerExtra: "    maxBodySize: 1Ki"), cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var small = await runtime.Client.PostAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/upload", new StringContent(new string('a', 1000)), ct);
        using var large = await runtime.Client.PostAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/upload", new StringContent(new string('a', 4000)), ct);

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Contains("ERR_MALFORMED_REQUEST", await large.Content.ReadAsStringAsync(ct));
    }

    private static async Task<InProcessRuntime> InProcessRuntimeWithFiles(string runFile, CancellationToken ct)
    {
        // configFilePath is relative to the app folder: write it there before loading.
        var configYaml = """
            apiVersion: dapr.io/v1alpha1
            kind: Configuration
            metadata: { name: target-config }
            spec:
              accessControl:
                defaultAction: deny
                policies:
                  - appId: caller
                    defaultAction: deny
                    operations: [ { name: /public/*, httpVerb: [GET], action: allow } ]
            """;
        return await InProcessRuntime.StartAsync(runFile, files: new Dictionary<string, string> { ["apps/target/config.yaml"] = configYaml }, cancellationToken: ct);
    }
}
