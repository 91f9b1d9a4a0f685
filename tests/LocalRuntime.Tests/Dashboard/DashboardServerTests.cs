using System.Text.Json;
using DaprIoT.LocalRuntime.Dashboard;
using DaprIoT.LocalRuntime.Tests.Hosting;

namespace DaprIoT.LocalRuntime.Tests.Dashboard;

public sealed class DashboardServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_overview_lists_every_replica_with_its_ports_and_its_sidecars_metadata()
    {
        await using var runtime = await InProcessRuntime.StartAsync("""
            version: 1
            common:
              resourcesPaths: [./resources]
            apps:
              - appID: orders
                appDirPath: ./apps/orders
              - appID: orders
                appDirPath: ./apps/orders
              - appID: billing
                appDirPath: ./apps/billing
            """, new Dictionary<string, string>
        {
            ["state.yaml"] = """
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata: { name: cache }
                spec: { type: state.in-memory, version: v1, metadata: [] }
                scopes: [orders]
                """,
        }, cancellationToken: Ct);
        await runtime.WaitHealthyAsync(Ct);
        await using var dashboard = await DashboardServer.StartAsync(runtime.Host.Sidecars, port: 0, Ct);

        var overview = JsonDocument.Parse(await runtime.Client.GetStringAsync(new Uri(dashboard.Address, "/api/overview"), Ct)).RootElement;

        var apps = overview.GetProperty("apps").EnumerateArray().ToList();
        Assert.Equal(["orders-0", "orders-1", "billing-0"], apps.Select(a => a.GetProperty("instanceId").GetString()));
        Assert.All(apps, a => Assert.True(a.GetProperty("ready").GetBoolean()));
        Assert.Equal(runtime.Sidecar("orders", 1).Context.HttpPort, apps[1].GetProperty("httpPort").GetInt32());
        Assert.Equal("cache", apps[0].GetProperty("metadata").GetProperty("components")[0].GetProperty("name").GetString());
        Assert.Empty(apps[2].GetProperty("metadata").GetProperty("components").EnumerateArray());
    }

    [Fact]
    public async Task The_page_is_served_as_html_that_polls_the_overview()
    {
        await using var dashboard = await DashboardServer.StartAsync([], port: 0, Ct);
        using var http = new HttpClient();

        using var response = await http.GetAsync(dashboard.Address, Ct);

        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("fetch(\"/api/overview\")", await response.Content.ReadAsStringAsync(Ct));
    }
}
