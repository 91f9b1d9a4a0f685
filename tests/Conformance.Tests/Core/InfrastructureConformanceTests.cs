using DaprIoT.LocalRuntime.Hosting;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.Core;

public sealed class InfrastructureConformanceTests
{
    [Fact]
    public async Task With_infra_auto_the_runtime_starts_redis_for_a_component_keeps_its_data_across_restarts_and_stops_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var redisPort = FreePorts.Next();
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp("keeper")], new Dictionary<string, string>
        {
            ["statestore.yaml"] = $"""
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata: {"{"} name: statestore {"}"}
                spec:
                  type: state.redis
                  version: v1
                  metadata:
                    - {"{"} name: redisHost, value: "127.0.0.1:{redisPort}" {"}"}
                """,
        }, ct, infrastructure: "auto");
        var state = $"{dapr.SidecarUrl("keeper")}/v1.0/state/statestore";

        using var saved = await dapr.Client.PostAsync(state, new StringContent("""[{"key":"k","value":"kept"}]""", Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        Assert.True(await IsListeningAsync(redisPort, ct));

        await dapr.RestartAsync(ct);
        Assert.Equal("\"kept\"", await dapr.Client.GetStringAsync($"{state}/k", ct));

        await dapr.StopAsync();
        Assert.False(await IsListeningAsync(redisPort, ct), "the redis-server the runtime started is stopped with it");
    }

    private static async Task<bool> IsListeningAsync(int port, CancellationToken ct)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
