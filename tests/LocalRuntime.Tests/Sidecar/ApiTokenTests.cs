using System.Net;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Sidecar;

public sealed class ApiTokenTests
{
    [Fact]
    public async Task A_dapr_api_token_in_the_apps_env_is_enforced_except_on_health_and_never_forwarded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync($$"""
            version: 1
            apps:
              - appID: caller
                appDirPath: ./apps/caller
                env: { DAPR_API_TOKEN: caller-secret }
              - appID: target
                appDirPath: ./apps/target
                appPort: {{target.Port}}
            """, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);
        var url = runtime.Url("caller");

        using var noToken = await runtime.Client.GetAsync($"{url}/v1.0/metadata", ct);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, $"{url}/v1.0/metadata");
        wrong.Headers.Add("dapr-api-token", "guess");
        using var wrongResponse = await runtime.Client.SendAsync(wrong, ct);
        using var health = await runtime.Client.GetAsync($"{url}/v1.0/healthz", ct);
        using var outbound = await runtime.Client.GetAsync($"{url}/v1.0/healthz/outbound", ct);
        using var invoke = new HttpRequestMessage(HttpMethod.Get, $"{url}/v1.0/invoke/target/method/hello");
        invoke.Headers.Add("dapr-api-token", "caller-secret");
        using var invoked = await runtime.Client.SendAsync(invoke, ct);
        using var otherSidecar = await runtime.Client.GetAsync($"{runtime.Url("target")}/v1.0/metadata", ct);

        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("invalid api token", await noToken.Content.ReadAsStringAsync(ct));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, outbound.StatusCode);
        Assert.Equal(HttpStatusCode.OK, invoked.StatusCode);
        Assert.False(Assert.Single(target.To("/hello")).Headers.ContainsKey("dapr-api-token"));
        Assert.Equal(HttpStatusCode.OK, otherSidecar.StatusCode);
    }

    [Fact]
    public async Task An_app_api_token_is_sent_to_the_app_on_discovery_and_invocations_but_not_on_health_probes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync($$"""
            version: 1
            apps:
              - appID: caller
                appDirPath: ./apps/caller
              - appID: target
                appDirPath: ./apps/target
                appPort: {{target.Port}}
                enableAppHealthCheck: true
                appHealthProbeInterval: 1
                env: { APP_API_TOKEN: app-secret }
            """, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var invoke = new HttpRequestMessage(HttpMethod.Get, $"{runtime.Url("caller")}/v1.0/invoke/target/method/hello");
        invoke.Headers.Add("dapr-api-token", "from-client");
        using var invoked = await runtime.Client.SendAsync(invoke, ct);

        Assert.Equal(HttpStatusCode.OK, invoked.StatusCode);
        Assert.Equal("app-secret", Assert.Single(target.To("/dapr/config")).Headers["dapr-api-token"]);
        Assert.Equal("app-secret", Assert.Single(target.To("/dapr/subscribe")).Headers["dapr-api-token"]);
        Assert.Equal("app-secret", Assert.Single(target.To("/hello")).Headers["dapr-api-token"]);
        Assert.All(target.To("/healthz"), r => Assert.False(r.Headers.ContainsKey("dapr-api-token")));
        Assert.NotEmpty(target.To("/healthz"));
    }
}
