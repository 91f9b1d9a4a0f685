using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Frontend.Tests.Support;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.TestSupport;
using Microsoft.Playwright;

namespace DaprIoT.Frontend.Tests.Platform;

/// <summary>
/// The whole platform as <c>./run.sh</c> runs it (dapr.yaml), on ports and a Redis of its own: <c>dapr-local</c> with
/// the repository's component YAML (<c>components/common</c> and <c>components/redis</c>), Mosquitto started by the
/// runtime (<c>infrastructure auto</c>) on a free port with the platform's broker logins, and the built services
/// <c>auth</c>, <c>lightbulb</c>, <c>sousvide</c>, <c>statistics</c>, <c>device-management</c> and <c>frontend</c> — the
/// frontend reaching the others by Dapr invocation and device-management's hub straight (<c>Hubs__Destinations__0</c>),
/// as in dapr.yaml. Devices are the firmware host build (<see cref="FirmwareSimulator"/>), started by the tests; the
/// browser is the system's Chromium.
/// </summary>
public sealed class EndToEndPlatform : IAsyncLifetime
{
    public const string Password = "correct horse battery";

    /// <summary>How often an open bulb page refreshes its chart here: short, so a test sees it move within seconds.</summary>
    public const int ChartRefreshSeconds = 2;

    private PrivateRedisServer? _redis;
    private LocalRuntimeHarness? _runtime;
    private IPlaywright? _playwright;

    /// <summary>The frontend, the URL a person opens.</summary>
    public Uri Url { get; private set; } = null!;

    public HttpClient Client { get; private set; } = new();

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The port of the platform's Mosquitto, which device-management tells new devices.</summary>
    public int BrokerPort { get; private set; }

    public LocalRuntimeHarness Runtime => _runtime ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _redis = await PrivateRedisServer.StartAsync(ct);
        BrokerPort = FreePorts.Next();
        var authSecrets = await AuthSigningKeyScript.NewSecretsJsonAsync(ct);
        var quiet = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        var frontendPort = FreePorts.Next();
        var deviceManagementPort = FreePorts.Next();
        Url = new Uri($"http://127.0.0.1:{frontendPort.ToString(CultureInfo.InvariantCulture)}");
        _runtime = await LocalRuntimeHarness.StartAsync(
        [
            BuiltServices.App(AppIds.Auth, "Auth", FreePorts.Next(), new Dictionary<string, string>(quiet)
            {
                // Every call comes from the frontend's sidecar here: limit per account only.
                ["Auth__LoginsPerAddress"] = "10000",
            }),
            BuiltServices.App(AppIds.LightBulb, "LightBulb", FreePorts.Next(), quiet),
            BuiltServices.App(AppIds.SousVide, "SousVide", FreePorts.Next(), quiet),
            BuiltServices.App(AppIds.Statistics, "Statistics", FreePorts.Next(), quiet),
            BuiltServices.App(AppIds.DeviceManagement, "DeviceManagement", deviceManagementPort, new Dictionary<string, string>(quiet)
            {
                ["DeviceManagement__MqttPort"] = BrokerPort.ToString(CultureInfo.InvariantCulture),
            }),
            // The harness gives each app a folder of its own, so the frontend is told where its built web app is.
            BuiltServices.App(AppIds.Frontend, "Frontend", frontendPort, new Dictionary<string, string>(quiet)
            {
                ["Hubs__Destinations__0"] = $"http://127.0.0.1:{deviceManagementPort.ToString(CultureInfo.InvariantCulture)}",
                ["Web__ChartRefreshSeconds"] = ChartRefreshSeconds.ToString(CultureInfo.InvariantCulture),
            }, ["--contentRoot", FrontendServer.ContentRoot]),
        ], ComponentFiles.Read(ComponentFiles.In("common").Concat(ComponentFiles.In("redis")), (ComponentFiles.SharedRedis, _redis.Address)), ct,
            files: new Dictionary<string, string>
            {
                [".dapr-local/secrets/auth.json"] = authSecrets,
                [BrokerLogins.SecretsFile] = BrokerLogins.Json(BrokerPort),
            }, infrastructure: "auto");

        Client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        await WaitUntilReadyAsync(ct);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            // Chromium's sandbox cannot start as root, which test machines run as.
            Args = ["--no-sandbox"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.DisposeAsync();
            _playwright.Dispose();
        }
        Client.Dispose();
        if (_runtime is not null) await _runtime.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
    }

    /// <summary>Signs up a user through the frontend's REST route; returns the e-mail.</summary>
    public async Task<string> SignUpAsync(string displayName, CancellationToken cancellationToken)
    {
        var email = $"{displayName.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com";
        var signUp = await Client.PostAsJsonAsync("/api/auth/signup", new { email, password = Password, displayName }, cancellationToken);
        Assert.True(signUp.StatusCode == HttpStatusCode.Created, $"sign-up: HTTP {(int)signUp.StatusCode} {await signUp.Content.ReadAsStringAsync(cancellationToken)}");
        return email;
    }

    /// <summary>An access token for the user, as the page gets one (10 minutes by default, longer than the suite).</summary>
    public async Task<string> AccessTokenAsync(string email, CancellationToken cancellationToken)
    {
        var login = await Client.PostAsJsonAsync("/api/auth/login", new { email, password = Password }, cancellationToken);
        Assert.True(login.StatusCode == HttpStatusCode.OK, $"login: HTTP {(int)login.StatusCode} {await login.Content.ReadAsStringAsync(cancellationToken)}");
        return (await login.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("accessToken").GetString()!;
    }

    /// <summary>A REST call through the frontend with a user's token.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await Client.SendAsync(request, cancellationToken);
    }

    /// <summary>
    /// Ready when a person could use it: auth answers through the frontend, device-management takes a token (it asks
    /// auth for its keys, and refuses tokens for a while if it asked too early), a light bulb can be added (its actor
    /// type is placed) and removed, and statistics and device-management's sidecars hold their subscriptions.
    /// </summary>
    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var patience = TimeSpan.FromSeconds(120);
        await Eventually.UntilAsync(async token =>
            {
                try { return (int)(await Client.GetAsync("/api/auth/me", token)).StatusCode; }
                catch (HttpRequestException) { return 0; }
            },
            status => status == 401, "auth answers through the frontend", status => $"HTTP {status}\n{Runtime.Output}", patience, ct);

        var email = await SignUpAsync("Probe", ct);
        var accessToken = await AccessTokenAsync(email, ct);
        var added = await Eventually.UntilAsync(async token =>
            {
                try
                {
                    using var response = await SendAsync(HttpMethod.Post, "/api/devices", accessToken, new { type = "lightbulb", name = "probe" }, token);
                    return response.StatusCode == HttpStatusCode.Created
                        ? (await response.Content.ReadFromJsonAsync<JsonElement>(token)).GetProperty("deviceId").GetString()
                        : null;
                }
                catch (HttpRequestException) { return null; }
            },
            id => id is not null, "device-management adds a light bulb through the frontend", _ => Runtime.Output, patience, ct);
        using (var removed = await SendAsync(HttpMethod.Delete, $"/api/devices/{added}", accessToken, null, ct))
            Assert.True(removed.StatusCode == HttpStatusCode.NoContent, $"removing the probe bulb: HTTP {(int)removed.StatusCode}");

        foreach (var topic in new[] { Topics.Telemetry, Topics.DeviceEvents })
            await Eventually.UntilAsync(token => Runtime.SubscribedPubSubsAsync(AppIds.Statistics, topic, cancellationToken: token),
                pubsubs => pubsubs.Contains(ComponentNames.PubSub), $"statistics subscribes to {topic}",
                s => $"[{string.Join(", ", s)}]\n{Runtime.Output}", patience, ct);
        await Eventually.UntilAsync(token => Runtime.SubscribedPubSubsAsync(AppIds.DeviceManagement, Topics.DeviceEvents, cancellationToken: token),
            pubsubs => pubsubs.Contains(ComponentNames.PubSub) && pubsubs.Count >= 2,
            "device-management subscribes to device-events on pubsub and pubsub-broadcast", s => $"[{string.Join(", ", s)}]\n{Runtime.Output}", patience, ct);
    }
}

/// <summary>Runs alone, after the other collections: two platforms at once would starve each other on a small machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndPlatform>
{
    public const string Name = "end-to-end platform";
}
