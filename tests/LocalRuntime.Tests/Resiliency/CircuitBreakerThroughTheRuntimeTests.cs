using System.Net;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Tests.Hosting;

namespace DaprIoT.LocalRuntime.Tests.Resiliency;

/// <summary>A Resiliency resource's circuit breaker, loaded from YAML and applied by a sidecar to calls into another app.</summary>
public sealed class CircuitBreakerThroughTheRuntimeTests
{
    [Fact]
    public async Task After_two_failures_the_breaker_stops_calls_reaching_the_failing_app()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await RecordingApp.StartAsync(cancellationToken: ct);
        target.Handler = http =>
        {
            http.Response.StatusCode = 500;
            return Task.FromResult(true);
        };
        await using var runtime = await InProcessRuntime.StartAsync($$"""
            version: 1
            common: { resourcesPaths: [./resources] }
            apps:
              - appID: caller
                appDirPath: ./apps/caller
              - appID: target
                appDirPath: ./apps/target
                appPort: {{target.Port}}
            """, new Dictionary<string, string>
            {
                ["resiliency.yaml"] = """
                    apiVersion: dapr.io/v1alpha1
                    kind: Resiliency
                    metadata: { name: breakers }
                    spec:
                      policies:
                        circuitBreakers:
                          twoStrikes: { maxRequests: 1, timeout: 60s, trip: "consecutiveFailures >= 2" }
                      targets:
                        apps:
                          target: { circuitBreaker: twoStrikes }
                    """,
            }, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);

        var statuses = new List<HttpStatusCode>();
        string? refusal = null;
        for (var i = 0; i < 4; i++)
        {
            using var response = await runtime.Client.PostAsync($"{runtime.Url("caller")}/v1.0/invoke/target/method/work", new StringContent("x"), ct);
            statuses.Add(response.StatusCode);
            if (i == 3) refusal = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["message"]!.GetValue<string>();
        }

        // The first two reach the app and relay its 500; then the breaker is open and the app sees nothing more.
        Assert.Equal(2, target.To("/work").Count());
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.InternalServerError, s));
        Assert.Contains("circuit breaker is open", refusal);
    }

    [Fact]
    public async Task A_trip_expression_dapr_local_cannot_read_fails_loading_naming_the_field()
    {
        var ct = TestContext.Current.CancellationToken;
        var failure = await Assert.ThrowsAsync<Configuration.ConfigurationException>(() => InProcessRuntime.StartAsync("""
            version: 1
            common: { resourcesPaths: [./resources] }
            apps:
              - appID: caller
                appDirPath: ./apps/caller
            """, new Dictionary<string, string>
            {
                ["resiliency.yaml"] = """
                    apiVersion: dapr.io/v1alpha1
                    kind: Resiliency
                    metadata: { name: breakers }
                    spec:
                      policies:
                        circuitBreakers:
                          odd: { trip: "failures.exists(f, f > 2)" }
                      targets: {}
                    """,
            }, cancellationToken: ct));

        Assert.Contains("resiliency.yaml", failure.Message);
        Assert.Contains("trip", failure.Message);
    }
}
