using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DaprIoT.Contracts;
using DaprIoT.Frontend.Tests.Platform;
using DaprIoT.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DaprIoT.Frontend.Tests.Browser;

/// <summary>
/// A person in Chromium, on a phone-sized screen, against the whole platform (<see cref="EndToEndPlatform"/>) and a
/// device of the real firmware: nothing here stands in for a service. What the page shows is read through its
/// data-testid attributes; a failed step says what each page showed (its text and a screenshot).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class EndToEndTests(EndToEndPlatform platform) : IAsyncLifetime
{
    /// <summary>Short, so statistics has readings within seconds of the device coming online.</summary>
    private static readonly TimeSpan TelemetryInterval = TimeSpan.FromMilliseconds(500);

    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<IPage> _pages = [];
    private FirmwareSimulator? _device;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        SetDefaultExpectTimeout(20_000);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_device is not null) await _device.DisposeAsync();
        foreach (var context in _contexts) await context.DisposeAsync();
    }

    private async Task<IPage> NewPageAsync()
    {
        var context = await platform.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = platform.Url.ToString(),
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
        });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        _pages.Add(page);
        return page;
    }

    [Fact]
    public async Task A_person_adds_a_bulb_runs_its_firmware_controls_it_live_and_the_page_survives_the_gateway_crashing()
    {
        var page = await NewPageAsync();
        string email = $"ann-{Guid.NewGuid():N}@example.com";
        string deviceId = "";
        ILocator Row(IPage p) => p.Locator($"[data-testid=device-row][data-device-id='{deviceId}']");

        await StepAsync("sign up in the page", async () =>
        {
            await page.GotoAsync("/");
            await Expect(page).ToHaveURLAsync(new Regex("/signin$"));
            await page.GetByRole(AriaRole.Link, new() { Name = "Sign up" }).ClickAsync();
            await page.GetByLabel("Name").FillAsync("Ann Example");
            await page.GetByLabel("E-mail").FillAsync(email);
            await page.GetByLabel("Password").FillAsync(EndToEndPlatform.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
            await Expect(page.GetByTestId("user-name")).ToHaveTextAsync("Ann Example");
            await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "connected");
        });
        // The same user's token for REST calls the test makes beside the page (a second login, its own refresh token).
        var token = await platform.AccessTokenAsync(email, Ct);

        string password = "", broker = "";
        await StepAsync("add a light bulb in the page and read its credentials once", async () =>
        {
            await page.GetByLabel("Name").FillAsync("Desk lamp");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add" }).ClickAsync();
            var credentials = page.GetByTestId("credentials");
            await Expect(credentials).ToBeVisibleAsync();
            deviceId = (await page.GetByTestId("credentials-device-id").TextContentAsync())!;
            password = (await page.GetByTestId("credentials-password").TextContentAsync())!;
            broker = (await page.GetByTestId("credentials-broker").TextContentAsync())!;
            Assert.Equal(deviceId, await page.GetByTestId("credentials-username").TextContentAsync());
            Assert.Equal(deviceId, await page.GetByTestId("credentials-client-id").TextContentAsync());
            await page.GetByTestId("credentials-done").ClickAsync();
            // Shown once: dismissed, the password is nowhere on the page any more.
            await Expect(credentials).ToHaveCountAsync(0);
            Assert.DoesNotContain(password, await page.ContentAsync(), StringComparison.Ordinal);
            TestContext.Current.TestOutputHelper?.WriteLine($"added {deviceId}");
            Assert.EndsWith($":{platform.BrokerPort}", broker, StringComparison.Ordinal);
            Assert.Matches("^bulb-[a-z0-9]{12}$", deviceId);
            // Added, never connected: listed, not online.
            await Expect(Row(page)).ToBeVisibleAsync();
            await Expect(Row(page).GetByTestId("presence")).Not.ToHaveTextAsync("online");
        });

        await StepAsync("start the firmware with those credentials and see it come online", async () =>
        {
            _device = await FirmwareSimulator.StartAsync(broker, "lightbulb", new Dictionary<string, string> { [deviceId] = password },
                ["--id", deviceId, "--telemetry-interval", ((int)TelemetryInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)], Ct);
            await Expect(Row(page).GetByTestId("presence")).ToHaveTextAsync("online", new() { Timeout = 30_000 });
        });

        // Another person, signed in meanwhile in a browser of their own, so every change below happens while their
        // page is live too.
        var other = await NewPageAsync();
        await StepAsync("a second user signs in and does not see the device", async () =>
        {
            var otherEmail = await platform.SignUpAsync("Bob", Ct);
            await SignInAsync(other, otherEmail);
            await Expect(other.GetByTestId("no-devices")).ToBeVisibleAsync();
            await Expect(Row(other)).ToHaveCountAsync(0);
        });

        byte[] chartBefore = [];
        Bucket? latestBefore = null;
        await StepAsync("open the device once statistics has its power draw, and see its chart", async () =>
        {
            // The page's first look at the series then has something to draw.
            await Eventually.UntilAsync(ct => LatestPowerAsync(deviceId, token, ct), latest => latest is not null,
                "statistics serves the bulb's power draw", latest => $"{latest}", TimeSpan.FromSeconds(30), Ct);
            (chartBefore, latestBefore) = await ChartAsync(page, deviceId, () => Row(page).GetByRole(AriaRole.Link).ClickAsync());
            await Expect(page).ToHaveURLAsync(new Regex($"/devices/{deviceId}$"));
            await Expect(page.GetByTestId("device-id")).ToHaveTextAsync(deviceId);
            // Marks that a reload, or a chart built anew, would lose.
            await page.EvaluateAsync("() => { window.__chartPage = true; document.querySelector('[data-testid=chart] canvas').__first = true; }");
        });

        await StepAsync("switch it on: desired first, then reported, the command pending then applied", async () =>
        {
            await Expect(page.GetByTestId("reported-power")).ToContainTextAsync("off");
            // Held still, the device cannot apply the command before the page has shown it pending.
            await _device!.PauseAsync();
            await page.GetByTestId("power-toggle").ClickAsync();
            var command = page.GetByTestId("commands").Locator("li[data-command-id]").First;
            await Expect(command).ToHaveAttributeAsync("data-status", "pending");
            await Expect(command).ToContainTextAsync("power");
            await Expect(page.GetByTestId("desired-power")).ToHaveTextAsync("on");
            await Expect(page.GetByTestId("reported-power")).ToContainTextAsync("off");
            var commandId = await command.GetAttributeAsync("data-command-id");
            await _device.ResumeAsync();
            await Expect(page.Locator($"[data-command-id='{commandId}']")).ToHaveAttributeAsync("data-status", "applied");
            await Expect(page.GetByTestId("reported-power")).ToContainTextAsync("on");
            await Expect(page.GetByTestId("power-toggle")).ToHaveAttributeAsync("aria-pressed", "true");
        });

        await StepAsync("set the brightness and see it applied", async () =>
        {
            var previous = await page.GetByTestId("commands").Locator("li[data-command-id]").First.GetAttributeAsync("data-command-id");
            await page.GetByTestId("brightnessPct").FillAsync("37");
            var command = page.GetByTestId("commands").Locator("li[data-command-id]").First;
            await Expect(command).Not.ToHaveAttributeAsync("data-command-id", previous!);
            await Expect(command).ToContainTextAsync("brightness", new() { IgnoreCase = true });
            await Expect(page.GetByTestId("desired-brightnessPct")).ToContainTextAsync("37");
            await Expect(command).ToHaveAttributeAsync("data-status", "applied");
            await Expect(page.GetByTestId("reported-brightnessPct")).ToContainTextAsync("37");
        });

        await StepAsync("see the chart follow the device's telemetry while its page stays open", async () =>
        {
            // A bulb's power draw is telemetry: statistics has it, the twin does not. The open page asks statistics again
            // by itself — no reload, no navigation — and draws the newer minutes (the bulb, on since, draws more power)
            // on the same canvas.
            var moved = await Eventually.UntilAsync(async _ =>
                {
                    var response = await page.WaitForResponseAsync(r => IsSeries(r, deviceId), new() { Timeout = 15_000 });
                    Assert.True(response.Status == 200, $"the page's series request: HTTP {response.Status}");
                    var latest = Latest((await response.JsonAsync())!.Value);
                    return (Drawn: await page.GetByTestId("chart").Locator(".chart-canvas").ScreenshotAsync(), Latest: latest, response.Url);
                },
                now => now.Latest is not null && now.Latest != latestBefore && !now.Drawn.AsSpan().SequenceEqual(chartBefore),
                "the open page draws newer minute averages", now => $"before {latestBefore}, now {now.Latest}", TimeSpan.FromSeconds(60), Ct);
            TestContext.Current.TestOutputHelper?.WriteLine($"chart: before {latestBefore}, after {moved.Latest}");
            // A refresh asks only for the minutes that can still change.
            Assert.Contains("from=", moved.Url, StringComparison.Ordinal);
            await Expect(page).ToHaveURLAsync(new Regex($"/devices/{deviceId}$"));
            Assert.True(await SameChartAsync(page), "the page was reloaded or its chart built anew");
            await Expect(page.GetByTestId("chart-note")).ToHaveTextAsync(ChartNote);
        });

        await StepAsync("a hidden tab asks statistics nothing, and asks again as soon as it is shown", async () =>
        {
            var asked = 0;
            void Count(object? sender, IRequest request)
            {
                if (IsSeries(request, deviceId)) Interlocked.Increment(ref asked);
            }

            // As a browser hides a tab in the background: the page sees visibilityState "hidden" and the event.
            await page.EvaluateAsync("""
                () => {
                  window.__hidden = true;
                  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (window.__hidden ? "hidden" : "visible") });
                  document.dispatchEvent(new Event("visibilitychange"));
                }
                """);
            // A request sent just before may still be reported; none is sent from now on.
            await Task.Delay(500, Ct);
            page.Request += Count;
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(EndToEndPlatform.ChartRefreshSeconds * 3), Ct);
                Assert.Equal(0, Volatile.Read(ref asked));
                await page.RunAndWaitForRequestAsync(
                    () => page.EvaluateAsync("() => { window.__hidden = false; document.dispatchEvent(new Event('visibilitychange')); }"),
                    r => IsSeries(r, deviceId), new() { Timeout = 5_000 });
            }
            finally
            {
                page.Request -= Count;
            }
            await Expect(page.GetByTestId("chart-note")).ToHaveTextAsync(ChartNote);
        });

        await StepAsync("zoom into the chart: refreshes keep the zoom, a double click shows it all again", async () =>
        {
            var chart = page.GetByTestId("chart");
            var over = chart.Locator(".u-over");
            var box = (await over.BoundingBoxAsync())!;
            await page.Mouse.MoveAsync(box.X + (box.Width * 0.2f), box.Y + (box.Height / 2));
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(box.X + (box.Width * 0.6f), box.Y + (box.Height / 2), new() { Steps = 5 });
            await page.Mouse.UpAsync();
            await Expect(chart).ToHaveAttributeAsync("data-zoomed", "true");
            // The first may have been on its way already; the second was asked for and drawn while zoomed.
            for (var i = 0; i < 2; i++) await page.WaitForResponseAsync(r => IsSeries(r, deviceId), new() { Timeout = 15_000 });
            await Task.Delay(200, Ct);
            Assert.Equal("true", await chart.GetAttributeAsync("data-zoomed"));
            await over.DblClickAsync();
            await Expect(chart).ToHaveAttributeAsync("data-zoomed", "false");
            Assert.True(await SameChartAsync(page), "the page was reloaded or its chart built anew");
        });

        await StepAsync("a refresh that fails keeps the chart and says so, and the next one recovers", async () =>
        {
            var series = new Regex($"/api/statistics/devices/{Regex.Escape(deviceId)}/series");
            await page.RouteAsync(series, route => route.FulfillAsync(new()
            {
                Status = 503, ContentType = "application/problem+json", Body = """{"title":"Service Unavailable","status":503}""",
            }));
            var note = page.GetByTestId("chart-note");
            await Expect(note).ToContainTextAsync("statistics did not answer. Retrying.");
            await Expect(page.GetByTestId("chart").Locator("canvas")).ToHaveCountAsync(1);
            Assert.True(await SameChartAsync(page), "the failed refresh replaced the chart");
            await page.UnrouteAsync(series);
            await Expect(note).ToHaveTextAsync(ChartNote);
            Assert.True(await SameChartAsync(page), "the page was reloaded or its chart built anew");
        });

        await StepAsync("the second user's list still lacks the device, and its page is not found", async () =>
        {
            await Expect(other.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "connected");
            await Expect(Row(other)).ToHaveCountAsync(0);
            await Expect(other.GetByTestId("no-devices")).ToBeVisibleAsync();
            await other.GotoAsync($"/devices/{deviceId}");
            await Expect(other.GetByTestId("device-missing")).ToHaveTextAsync("This device does not exist or was removed.");
            await Expect(other.GetByTestId("device-id")).ToBeHiddenAsync();
        });

        await StepAsync("kill the gateway: the page reconnects by itself and shows what changed meanwhile", async () =>
        {
            // A page that reloaded would lose this mark; the page must catch up without one.
            await Expect(page.GetByTestId("presence")).ToHaveTextAsync("online");
            await page.EvaluateAsync("() => { window.__sameDocument = true; }");
            await platform.Runtime.KillAppAsync(AppIds.DeviceManagement, cancellationToken: Ct);
            await Expect(page.GetByTestId("connection-status")).Not.ToHaveAttributeAsync("data-state", "connected");
            await Expect(page.GetByTestId("connection-status")).ToContainTextAsync(new Regex("reconnecting|offline"));
            // While no gateway runs, the device dies: the broker publishes its last will and the device service
            // marks it offline. No hub connection is open to hear it: only a resync after reconnecting can show it.
            await _device!.KillAsync();
            await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 90_000 });
            await Expect(page.GetByTestId("presence")).ToHaveTextAsync("offline", new() { Timeout = 30_000 });
            Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
        });

        await StepAsync("after the reconnect, a command sent by REST shows live", async () =>
        {
            using var sent = await platform.SendAsync(HttpMethod.Post, $"/api/devices/{deviceId}/desired", token, new { power = false }, Ct);
            Assert.True(sent.StatusCode == HttpStatusCode.Accepted, $"HTTP {(int)sent.StatusCode} {await sent.Content.ReadAsStringAsync(Ct)}");
            var commandId = (await sent.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("commandId").GetString();
            // The device is gone, so the command waits: desired off, reported still on.
            await Expect(page.Locator($"[data-command-id='{commandId}']")).ToHaveAttributeAsync("data-status", "pending");
            await Expect(page.GetByTestId("desired-power")).ToHaveTextAsync("off");
            await Expect(page.GetByTestId("reported-power")).ToContainTextAsync("on");
            // The other user's page reconnected too, and its snapshot still lacks the device.
            await Expect(other.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "connected");
            await Expect(other.GetByTestId("device-missing")).ToHaveTextAsync("This device does not exist or was removed.");
        });

        await StepAsync("a reload keeps the session; rename and remove the device; sign out", async () =>
        {
            await page.ReloadAsync();
            await Expect(page.GetByTestId("device-id")).ToHaveTextAsync(deviceId);
            await Expect(page.GetByTestId("user-name")).ToHaveTextAsync("Ann Example");
            await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "connected");

            // Renaming asks for the name (a prompt), removing asks to confirm.
            page.Dialog += async (_, dialog) => await dialog.AcceptAsync(dialog.Type == DialogType.Prompt ? "Hall light" : null);
            await page.GetByTestId("rename-device").ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hall light" })).ToBeVisibleAsync();
            await page.GetByTestId("remove-device").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/$"));
            await Expect(Row(page)).ToHaveCountAsync(0);
            using (var gone = await platform.SendAsync(HttpMethod.Get, $"/api/devices/{deviceId}", token, null, Ct))
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

            await page.GetByTestId("sign-out").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/signin$"));
            await page.ReloadAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/signin$"));
        });
    }

    private static async Task SignInAsync(IPage page, string email)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(EndToEndPlatform.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "connected");
    }

    public sealed record Bucket(string At, int Count, double Avg);

    /// <summary>What a bulb's chart says while statistics answers and has readings.</summary>
    private const string ChartNote = "Minute averages, the newest minute still filling.";

    private static bool IsSeries(IResponse response, string deviceId) => IsSeries(response.Request, deviceId);

    private static bool IsSeries(IRequest request, string deviceId) =>
        request.Url.Contains($"/api/statistics/devices/{deviceId}/series", StringComparison.Ordinal);

    /// <summary>The newest minute of power draw in a series answer, if any.</summary>
    private static Bucket? Latest(JsonElement series) =>
        series.GetProperty("measures").TryGetProperty("powerMw", out var buckets) && buckets.GetArrayLength() > 0
            ? buckets.EnumerateArray().Select(b => new Bucket(b.GetProperty("at").GetString()!, b.GetProperty("count").GetInt32(), b.GetProperty("avg").GetDouble()))
                .MaxBy(b => b.At, StringComparer.Ordinal)
            : null;

    /// <summary>The newest minute of the device's power draw that statistics serves the user, asked beside the page.</summary>
    private async Task<Bucket?> LatestPowerAsync(string deviceId, string token, CancellationToken cancellationToken)
    {
        using var response = await platform.SendAsync(HttpMethod.Get, $"/api/statistics/devices/{deviceId}/series?resolution=minute", token, null, cancellationToken);
        return response.IsSuccessStatusCode ? Latest(await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)) : null;
    }

    /// <summary>Whether the page, and its chart's canvas, are still those the device's page opened with.</summary>
    private static Task<bool> SameChartAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => window.__chartPage === true && document.querySelector('[data-testid=chart] canvas')?.__first === true");

    /// <summary>
    /// Opens the device's page by <paramref name="open"/> and waits for its chart to draw the series the page fetched:
    /// the chart's pixels and the newest minute of power draw in that series.
    /// </summary>
    private static async Task<(byte[] Drawn, Bucket Latest)> ChartAsync(IPage page, string deviceId, Func<Task> open)
    {
        var response = await page.RunAndWaitForResponseAsync(open, r => IsSeries(r, deviceId));
        Assert.True(response.Status == 200, $"the page's series request: HTTP {response.Status}");
        var latest = Latest((await response.JsonAsync())!.Value);
        Assert.NotNull(latest);
        var chart = page.GetByTestId("chart");
        await Expect(chart.GetByTestId("chart-note")).ToHaveTextAsync(ChartNote);
        await Expect(chart.Locator("canvas")).ToHaveCountAsync(1);
        return (await chart.Locator(".chart-canvas").ScreenshotAsync(), latest);
    }

    /// <summary>Runs one step; a failure names the step and says what each page showed.</summary>
    private async Task StepAsync(string step, Func<Task> action)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await action();
            TestContext.Current.TestOutputHelper?.WriteLine($"{started.Elapsed.TotalSeconds,5:0.0} s  {step}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var shown = new List<string>();
            for (var i = 0; i < _pages.Count; i++)
            {
                var path = Path.Combine(Path.GetTempPath(), $"dapriot-e2e-{DateTime.UtcNow:HHmmss}-page{i}.png");
                try
                {
                    await _pages[i].ScreenshotAsync(new() { Path = path, FullPage = true });
                    shown.Add($"page {i} ({_pages[i].Url}, screenshot {path}):\n{await _pages[i].InnerTextAsync("body")}");
                }
                catch (PlaywrightException p)
                {
                    shown.Add($"page {i}: could not be read ({p.Message})");
                }
            }

            throw new Xunit.Sdk.XunitException(
                $"step '{step}' failed: {e.Message}\n\n{string.Join("\n\n", shown)}\n\ndevice log:\n{_device?.Log}\n\nplatform output (last 60 lines):\n"
                + string.Join('\n', platform.Runtime.Output.Split('\n').TakeLast(60)), e);
        }
    }
}
