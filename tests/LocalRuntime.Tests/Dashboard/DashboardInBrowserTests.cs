using System.Diagnostics;
using DaprIoT.LocalRuntime.Dashboard;
using DaprIoT.LocalRuntime.Tests.Hosting;

namespace DaprIoT.LocalRuntime.Tests.Dashboard;

/// <summary>The dashboard as a person sees it: rendered by Debian's Chromium, scripts run.</summary>
public sealed class DashboardInBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_browser_shows_a_ready_card_per_replica_with_its_components()
    {
        await using var runtime = await InProcessRuntime.StartAsync("""
            version: 1
            common:
              resourcesPaths: [./resources]
            apps:
              - appID: lightbulb
                appDirPath: ./apps/lightbulb
              - appID: lightbulb
                appDirPath: ./apps/lightbulb
            """, new Dictionary<string, string>
        {
            ["state.yaml"] = """
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata: { name: twins }
                spec: { type: state.in-memory, version: v1, metadata: [] }
                """,
        }, cancellationToken: Ct);
        await runtime.WaitHealthyAsync(Ct);
        await using var dashboard = await DashboardServer.StartAsync(runtime.Host.Sidecars, port: 0, Ct);

        var dom = await RenderAsync(dashboard.Address);

        Assert.Contains("lightbulb-0<span class=\"state ready\">ready</span>", dom);
        Assert.Contains("lightbulb-1<span class=\"state ready\">ready</span>", dom);
        Assert.Contains("<li>twins <small>state.in-memory</small></li>", dom);
        Assert.Contains("<p id=\"error\"></p>", dom);
    }

    /// <summary>The DOM after the page's scripts ran, from headless Chromium (flags as this machine needs them).</summary>
    private static async Task<string> RenderAsync(Uri page)
    {
        var profile = Directory.CreateTempSubdirectory("dashboard-chromium-");
        try
        {
            var start = new ProcessStartInfo("chromium",
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                $"--user-data-dir={profile.FullName}", "--virtual-time-budget=5000", "--dump-dom", page.ToString(),
            ])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var browser = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
            var dom = browser.StandardOutput.ReadToEndAsync(Ct);
            _ = browser.StandardError.ReadToEndAsync(Ct);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(TimeSpan.FromSeconds(60));
            await browser.WaitForExitAsync(limit.Token);
            return await dom;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
