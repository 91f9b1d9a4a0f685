using System.Net;
using System.Text.Json;
using DaprIoT.LocalRuntime.Actors;
using DaprIoT.LocalRuntime.Bindings;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.LocalRuntime.PubSub;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Sidecar;

public sealed class SidecarStartupTests
{
    private static string RunFile(int appPort, string extra = "") => $"""
        version: 1
        common: {"{"} resourcesPaths: [./resources] {"}"}
        apps:
          - appID: orders
            appDirPath: ./apps/orders
            appPort: {appPort}
        {extra}
        """;

    [Fact]
    public async Task The_sidecar_follows_daprds_startup_order_before_reporting_healthy()
    {
        var ct = TestContext.Current.CancellationToken;
        var appPort = FreePorts.Next();
        var feature = new RecordingFeature.Factory();
        await using var runtime = await InProcessRuntime.StartAsync(RunFile(appPort),
            configureServices: s => s.AddSingleton<ISidecarFeatureFactory>(feature), cancellationToken: ct);
        var url = runtime.Url("orders");

        // The app is not listening yet: outbound health is up, full health is not.
        using (var outbound = await runtime.Client.GetAsync($"{url}/v1.0/healthz/outbound", ct))
            Assert.Equal(HttpStatusCode.NoContent, outbound.StatusCode);
        using (var health = await runtime.Client.GetAsync($"{url}/v1.0/healthz", ct))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, health.StatusCode);
            Assert.Contains("ERR_HEALTH_NOT_READY", await health.Content.ReadAsStringAsync(ct));
        }
        Assert.Empty(feature.Events);

        await using var app = await RecordingApp.StartAsync(appPort, ct);
        app.Handler = async context =>
        {
            if (context.Request.Path == "/dapr/config")
            {
                await context.Response.WriteAsync("""{"entities":["Device"]}""", ct);
                return true;
            }
            if (context.Request.Path == "/dapr/subscribe")
            {
                await context.Response.WriteAsync("""[{"pubsubname":"pubsub","topic":"t","route":"/t"}]""", ct);
                return true;
            }
            return false;
        };
        await runtime.WaitHealthyAsync(ct);
        var healthyAt = RecordingApp.NextSequence();

        var config = Assert.Single(app.To("/dapr/config"));
        var subscribe = Assert.Single(app.To("/dapr/subscribe"));
        var start = Assert.Single(feature.Events);
        Assert.True(config.Sequence < subscribe.Sequence, "/dapr/config comes before /dapr/subscribe");
        Assert.True(subscribe.Sequence < start.Sequence, "features start after discovery");
        Assert.True(start.Sequence < healthyAt, "healthz turns 204 after features started");
        Assert.Equal("orders", config.Headers["dapr-app-id"]);
        Assert.Equal("orders", subscribe.Headers["dapr-app-id"]);
        Assert.Equal("Device", start.Discovery.Config!.Value.GetProperty("entities")[0].GetString());
        Assert.Equal("t", start.Discovery.Subscriptions!.Value[0].GetProperty("topic").GetString());

        // Discovery happens once per app run, not on every health check.
        using (await runtime.Client.GetAsync($"{url}/v1.0/healthz", ct)) { }
        Assert.Single(app.To("/dapr/subscribe"));
    }

    [Fact]
    public async Task Healthz_with_another_app_id_reports_a_mismatch()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync(RunFile(app.Port), cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        using var mine = await runtime.Client.GetAsync($"{runtime.Url("orders")}/v1.0/healthz?appid=orders", ct);
        using var other = await runtime.Client.GetAsync($"{runtime.Url("orders")}/v1.0/healthz?appid=billing", ct);

        Assert.Equal(HttpStatusCode.NoContent, mine.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, other.StatusCode);
        Assert.Equal("ERR_HEALTH_APPID_NOT_MATCH", JsonDocument.Parse(await other.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task Metadata_describes_the_app_its_components_and_stored_attributes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync(RunFile(app.Port, """
                enableAppHealthCheck: true
                appHealthProbeInterval: 1
            """), new Dictionary<string, string>
            {
                ["state.yaml"] = """
                    apiVersion: dapr.io/v1alpha1
                    kind: Component
                    metadata: { name: statestore }
                    spec: { type: state.in-memory, version: v1, metadata: [ { name: actorStateStore, value: "true" } ] }
                    """,
            }, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);
        var url = runtime.Url("orders");

        using var put = await runtime.Client.PutAsync($"{url}/v1.0/metadata/cliPID", new StringContent("4242"), ct);
        var metadata = JsonDocument.Parse(await runtime.Client.GetStringAsync($"{url}/v1.0/metadata", ct)).RootElement;

        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal("orders", metadata.GetProperty("id").GetString());
        Assert.False(string.IsNullOrEmpty(metadata.GetProperty("runtimeVersion").GetString()));
        var component = metadata.GetProperty("components")[0];
        Assert.Equal(("statestore", "state.in-memory", "v1"), (component.GetProperty("name").GetString(), component.GetProperty("type").GetString(), component.GetProperty("version").GetString()));
        Assert.Contains("ACTOR", component.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("4242", metadata.GetProperty("extended").GetProperty("cliPID").GetString());
        var connection = metadata.GetProperty("appConnectionProperties");
        Assert.Equal(app.Port, connection.GetProperty("port").GetInt32());
        Assert.Equal("/healthz", connection.GetProperty("health").GetProperty("healthCheckPath").GetString());
        Assert.Equal("statestore", runtime.Sidecar("orders").Context.ActorStateStoreName);
    }

    [Fact]
    public async Task Feature_routes_are_served_and_unknown_routes_get_a_dapr_error()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await RecordingApp.StartAsync(cancellationToken: ct);
        var feature = new RecordingFeature.Factory();
        await using var runtime = await InProcessRuntime.StartAsync(RunFile(app.Port),
            configureServices: s => s.AddSingleton<ISidecarFeatureFactory>(feature), cancellationToken: ct);
        var url = runtime.Url("orders");

        var routed = await runtime.Client.GetStringAsync($"{url}/v1.0-alpha1/recording/x/", ct);
        using var unknown = await runtime.Client.GetAsync($"{url}/v1.0/nothing-here", ct);

        Assert.Equal("orders-0:x", routed);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("ERR_DIRECT_INVOKE", JsonDocument.Parse(await unknown.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("errorCode").GetString());
        Assert.StartsWith("00-", unknown.Headers.GetValues("traceparent").Single());
    }

    [Fact]
    public async Task Features_stop_in_the_reverse_of_their_start_order_so_deliveries_stop_before_what_their_handlers_call()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await RecordingApp.StartAsync(cancellationToken: ct);
        var first = new RecordingFeature.Factory();
        var second = new RecordingFeature.Factory();
        var runtime = await InProcessRuntime.StartAsync(RunFile(app.Port),
            configureServices: s => s.AddSingleton<ISidecarFeatureFactory>(first).AddSingleton<ISidecarFeatureFactory>(second),
            cancellationToken: ct);
        try
        {
            await runtime.WaitHealthyAsync(ct);
            // The building blocks: what handlers call (state, secrets, actors) starts before what delivers to the app.
            var blocks = runtime.Sidecar("orders").Features.Select(f => f.GetType()).ToList();
            Assert.True(blocks.IndexOf(typeof(ActorsFeature)) < blocks.IndexOf(typeof(PubSubFeature)), "actors start before pub/sub");
            Assert.True(blocks.IndexOf(typeof(ActorsFeature)) < blocks.IndexOf(typeof(BindingsFeature)), "actors start before bindings");
            Assert.True(blocks.IndexOf(typeof(StateApi)) < blocks.IndexOf(typeof(ActorsFeature)), "state starts before actors");
        }
        finally
        {
            await runtime.DisposeAsync();
        }

        var (firstStart, firstStop) = (Assert.Single(first.Events, e => e.Kind == "start"), Assert.Single(first.Events, e => e.Kind == "stop"));
        var (secondStart, secondStop) = (Assert.Single(second.Events, e => e.Kind == "start"), Assert.Single(second.Events, e => e.Kind == "stop"));
        Assert.True(firstStart.Sequence < secondStart.Sequence, "features start in their registration order");
        Assert.True(secondStop.Sequence < firstStop.Sequence, "and stop in the reverse one");
    }

    [Fact]
    public async Task An_unhealthy_app_has_its_features_stopped_and_restarted_when_healthy_again()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await RecordingApp.StartAsync(cancellationToken: ct);
        var healthy = true;
        app.Handler = context =>
        {
            if (context.Request.Path != "/healthz") return Task.FromResult(false);
            context.Response.StatusCode = Volatile.Read(ref healthy) ? 200 : 503;
            return Task.FromResult(true);
        };
        var feature = new RecordingFeature.Factory();
        await using var runtime = await InProcessRuntime.StartAsync(RunFile(app.Port, """
                enableAppHealthCheck: true
                appHealthProbeInterval: 1
                appHealthThreshold: 1
            """), configureServices: s => s.AddSingleton<ISidecarFeatureFactory>(feature), cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        Volatile.Write(ref healthy, false);
        await Poll.UntilAsync(() => feature.Events.Any(e => e.Kind == "stop"), ct, TimeSpan.FromSeconds(10));
        Assert.False(runtime.Sidecar("orders").AcceptsInvocations);
        Volatile.Write(ref healthy, true);
        await Poll.UntilAsync(() => feature.Events.Count(e => e.Kind == "start") == 2, ct, TimeSpan.FromSeconds(10));

        Assert.Equal(["start", "stop", "start"], feature.Events.Select(e => e.Kind));
        Assert.DoesNotContain(app.To("/healthz"), r => r.Headers.ContainsKey("dapr-api-token"));
    }

    [Fact]
    public async Task A_sidecar_port_already_in_use_is_reported_with_the_app_and_field()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var busy = await RecordingApp.StartAsync(cancellationToken: ct);

        var error = await Assert.ThrowsAsync<DaprIoT.LocalRuntime.Configuration.ConfigurationException>(() => InProcessRuntime.StartAsync($"""
            version: 1
            apps:
              - appID: orders
                appDirPath: ./apps/orders
                daprHTTPPort: {busy.Port}
            """, cancellationToken: ct));

        Assert.Equal("apps[orders #0].daprHTTPPort", error.Field);
        Assert.Contains($"127.0.0.1:{busy.Port}", error.Problem);
    }
}
