using System.Net.Http.Json;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DaprIoT.Frontend.Tests.Platform;
using DaprIoT.Frontend.Tests.Support;
using DaprIoT.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DaprIoT.Frontend.Tests.Browser;

/// <summary>
/// The web app in Chromium, on a phone-sized screen, against the frontend and auth services under dapr-local and the
/// device-management stand-in: what a person does, read back through the page's data-testid attributes.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class BrowserTests(FrontendPlatform platform) : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private IBrowserContext? _context;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        SetDefaultExpectTimeout(15_000);
        _context = await platform.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = platform.Url.ToString(),
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_context is not null) await _context.DisposeAsync();
    }

    /// <summary>A new user, signed in through the page; the device list showing.</summary>
    private async Task<IPage> SignedInPageAsync() => (await SignedInUserAsync()).Page;

    /// <summary>A new user, signed in through the page, with the user's id and e-mail.</summary>
    private async Task<(IPage Page, string UserId, string Email)> SignedInUserAsync()
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var signUp = await platform.Client.PostAsync("/api/auth/signup", new StringContent(
            JsonSerializer.Serialize(new { email, password = Password, displayName = "Cat" }), System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.True(signUp.IsSuccessStatusCode, $"sign-up: HTTP {(int)signUp.StatusCode}");
        var userId = (await signUp.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("userId").GetString()!;
        var page = await _context!.NewPageAsync();
        await page.GotoAsync("/signin");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("connection-status")).ToHaveAttributeAsync("data-state", "connected");
        return (page, userId, email);
    }

    [Fact]
    public async Task A_cooker_shows_its_program_countdown_and_charts_live_readings()
    {
        var devices = platform.DeviceManagement;
        var cookerId = "cooker-" + Guid.NewGuid().ToString("N")[..8];
        devices.Add(DeviceManagementStandIn.SousVide(cookerId, "Sous-vide", waterTempC: 52.5, targetTempC: 56, durationS: 5400, elapsedS: 600));
        var page = await SignedInPageAsync();

        await page.GotoAsync($"/devices/{cookerId}");

        // 5400 s program, 600 s cooked: 80 minutes left, counting down between the cooker's reports.
        var countdown = page.GetByTestId("countdown");
        await Expect(countdown).ToHaveTextAsync(new Regex("^1:(20:00|19:5\\d)$"));
        var first = await countdown.TextContentAsync();
        await Expect(countdown).Not.ToHaveTextAsync(first!);
        await Expect(page.GetByTestId("water-temp")).ToHaveTextAsync("Water 52.5 °C");
        await Expect(page.GetByTestId("targetTempC")).ToHaveValueAsync("56");

        // Statistics is not running here: the chart says so and draws the readings the twin brings.
        await Expect(page.GetByTestId("chart-note")).ToHaveTextAsync("History is unavailable right now; showing live readings.");
        await devices.ChangeAsync(cookerId, "reported", twin =>
        {
            twin["properties"]!["waterTempC"]!["reported"] = 54.0;
            twin["properties"]!["waterTempC"]!["reportedAt"] = DateTimeOffset.UtcNow;
        });
        await Expect(page.GetByTestId("water-temp")).ToHaveTextAsync("Water 54.0 °C");
        await Expect(page.GetByTestId("chart").Locator("canvas")).ToHaveCountAsync(1);

        // Stopping the program is a command to device-management.
        await page.GetByTestId("stop-program").ClickAsync();
        await Eventually.UntilAsync(_ => Task.FromResult(devices.Requests.Any(r => r.Method == "DELETE" && r.Path == $"/api/devices/{cookerId}/program")),
            sent => sent, "the page asks to stop the program", _ => "not asked", TimeSpan.FromSeconds(15), Ct);
    }

    [Fact]
    public async Task A_cooker_chart_starts_with_its_history_from_statistics()
    {
        var (page, userId, email) = await SignedInUserAsync();
        var cookerId = "cooker-" + Guid.NewGuid().ToString("N")[..8];
        var cooker = DeviceManagementStandIn.SousVide(cookerId, "Water bath", waterTempC: 55.8, targetTempC: 56, durationS: 3600, elapsedS: 60);
        cooker["owner"] = userId;
        platform.DeviceManagement.Add(cooker);

        // What the cooker's actor and service put on the bus: its owner, then readings of the last minutes.
        var twin = new DeviceTwinView(cookerId, AppIds.SousVide, true, userId, "Water bath", 1,
            new PresenceView(PresenceState.Online, 1, null, null, 60, null, null), new Dictionary<string, PropertyView>(), [], null);
        await platform.Publisher.PublishEventAsync(ComponentNames.PubSub, Topics.DeviceEvents,
            new DeviceEvent(cookerId, AppIds.SousVide, userId, 1, DateTimeOffset.UtcNow, [DeviceChanges.Provisioned], twin), Ct);
        var now = DateTimeOffset.UtcNow;
        var readings = Enumerable.Range(0, 6).Select(i => new TelemetryReading(cookerId, AppIds.SousVide, 1, (uint)(i + 1),
            now.AddMinutes(i - 6), (uint)(i * 60), WaterTempC: 50 + i, Heating: true)).ToList();
        var published = await platform.Publisher.BulkPublishEventAsync(ComponentNames.PubSub, Topics.Telemetry, readings, cancellationToken: Ct);
        Assert.Empty(published.FailedEntries);
        var token = await AccessTokenAsync(email);
        await Eventually.UntilAsync(async ct => await BucketsAsync(cookerId, token, ct), count => count >= 6,
            "statistics has the readings", count => $"{count} buckets", TimeSpan.FromSeconds(30), Ct);

        await page.GotoAsync($"/devices/{cookerId}");

        await Expect(page.GetByTestId("chart-note")).ToHaveTextAsync("Minute averages, then live readings.");
        await Expect(page.GetByTestId("chart").Locator("canvas")).ToHaveCountAsync(1);
    }

    private async Task<string> AccessTokenAsync(string email)
    {
        var login = await platform.Client.PostAsync("/api/auth/login", new StringContent(
            JsonSerializer.Serialize(new { email, password = Password }), System.Text.Encoding.UTF8, "application/json"), Ct);
        return (await login.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("accessToken").GetString()!;
    }

    /// <summary>How many minute buckets of water temperature statistics serves the user through the frontend.</summary>
    private async Task<int> BucketsAsync(string deviceId, string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/statistics/devices/{deviceId}/series?resolution=minute");
        request.Headers.Authorization = new("Bearer", accessToken);
        using var response = await platform.Client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode) return 0;
        var series = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return series.GetProperty("measures").TryGetProperty("waterTempC", out var buckets) ? buckets.GetArrayLength() : 0;
    }

    [Fact]
    public async Task While_the_hub_cannot_be_reached_the_page_keeps_retrying_and_goes_live_when_it_can()
    {
        var devices = platform.DeviceManagement;
        var lampId = "lamp-" + Guid.NewGuid().ToString("N")[..8];
        devices.Add(DeviceManagementStandIn.LightBulb(lampId, "Porch lamp"));
        devices.RefuseHub = true;
        try
        {
            var email = $"dan-{Guid.NewGuid():N}@example.com";
            await platform.Client.PostAsync("/api/auth/signup", new StringContent(
                JsonSerializer.Serialize(new { email, password = Password, displayName = "Dan" }), System.Text.Encoding.UTF8, "application/json"), Ct);
            var page = await _context!.NewPageAsync();
            await page.GotoAsync("/signin");
            await page.GetByLabel("E-mail").FillAsync(email);
            await page.GetByLabel("Password").FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

            var status = page.GetByTestId("connection-status");
            await Expect(status).ToHaveAttributeAsync("data-state", "disconnected");
            await Expect(status).ToContainTextAsync("retrying in");
            // The REST list shows the devices meanwhile.
            await Expect(page.Locator($"[data-testid=device-row][data-device-id='{lampId}']")).ToBeVisibleAsync();

            devices.RefuseHub = false;
            await Expect(status).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 20_000 });
        }
        finally
        {
            devices.RefuseHub = false;
        }
    }

    [Fact]
    public async Task The_page_renews_its_access_token_before_it_expires_and_uses_the_new_one()
    {
        var page = await SignedInPageAsync();
        var signedInAt = DateTimeOffset.UtcNow;

        var renewed = await page.WaitForResponseAsync(r => r.Url.EndsWith("/api/auth/refresh", StringComparison.Ordinal),
            new() { Timeout = 20_000 });
        Assert.Equal(200, renewed.Status);
        Assert.True(DateTimeOffset.UtcNow - signedInAt < FrontendPlatform.AccessTokenLifetime, "renewed only after the token expired");
        var newToken = (await renewed.JsonAsync())!.Value.GetProperty("accessToken").GetString();

        // The next call carries the new token.
        var call = await page.RunAndWaitForRequestAsync(
            () => page.GetByLabel("Name").FillAsync("Porch lamp").ContinueWith(_ => page.GetByRole(AriaRole.Button, new() { Name = "Add" }).ClickAsync()).Unwrap(),
            r => r.Url.EndsWith("/api/devices", StringComparison.Ordinal) && r.Method == "POST");
        Assert.Equal($"Bearer {newToken}", call.Headers["authorization"]);
    }

    [Fact]
    public async Task A_wrong_password_is_shown_and_nothing_is_signed_in()
    {
        var email = $"bob-{Guid.NewGuid():N}@example.com";
        var signUp = await platform.Client.PostAsync("/api/auth/signup", new StringContent(
            JsonSerializer.Serialize(new { email, password = Password, displayName = "Bob" }), System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.True(signUp.IsSuccessStatusCode);
        var page = await _context!.NewPageAsync();

        await page.GotoAsync("/signin");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByTestId("auth-error")).ToHaveTextAsync("Wrong e-mail or password.");
        await Expect(page).ToHaveURLAsync(new Regex("/signin$"));
        await Expect(page.GetByTestId("sign-out")).ToBeHiddenAsync();
    }
}
