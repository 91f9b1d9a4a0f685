using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Frontend.Tests.Support;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.TestSupport;
using Microsoft.Playwright;

namespace DaprIoT.Frontend.Tests.Platform;

/// <summary>
/// The built frontend, auth and statistics services run as <c>./run.sh</c> runs them — processes under <c>dapr-local</c>
/// with the repository's <c>statestore</c>, Redis <c>pubsub</c> (on a Redis of its own) and <c>auth-secrets</c>
/// components — beside <see cref="DeviceManagementStandIn"/> as app <c>device-management</c> (its REST reached by Dapr
/// invocation from the frontend's sidecar, its hub straight), a <c>publisher</c> sidecar that puts device events and
/// telemetry on the bus as the device services do, and a headless Chromium (the system's, <c>/usr/bin/chromium</c>)
/// for the browser tests.
/// </summary>
public sealed class FrontendPlatform : IAsyncLifetime
{
    private const string SecretsFile = ".dapr-local/secrets/auth.json";
    private PrivateRedisServer? _redis;
    private LocalRuntimeHarness? _runtime;
    private IPlaywright? _playwright;
    private DaprClient? _publisher;

    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromSeconds(65);

    public DeviceManagementStandIn DeviceManagement { get; private set; } = null!;

    /// <summary>The frontend, the URL a person opens.</summary>
    public Uri Url { get; private set; } = null!;

    public HttpClient Client { get; private set; } = new();

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The publisher's sidecar, with the contract JSON options the platform's publishers use.</summary>
    public DaprClient Publisher => _publisher ?? throw new InvalidOperationException("not started");

    public LocalRuntimeHarness Runtime => _runtime ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _redis = await PrivateRedisServer.StartAsync(ct);
        DeviceManagement = await DeviceManagementStandIn.StartAsync("dm-0", ct);
        var secretsJson = await AuthSigningKeyScript.NewSecretsJsonAsync(ct);

        var authPort = FreePorts.Next();
        var frontendPort = FreePorts.Next();
        var statisticsPort = FreePorts.Next();
        var authUrl = $"http://127.0.0.1:{authPort.ToString(CultureInfo.InvariantCulture)}";
        Url = new Uri($"http://127.0.0.1:{frontendPort.ToString(CultureInfo.InvariantCulture)}");
        var authDll = RepositoryPaths.Built(Path.Combine("services", "Auth"), "DaprIoT.Auth.dll", "dotnet build services/Auth");
        var statisticsDll = RepositoryPaths.Built(Path.Combine("services", "Statistics"), "DaprIoT.Statistics.dll", "dotnet build services/Statistics");
        var frontendDll = RepositoryPaths.Built(Path.Combine("services", "Frontend"), "DaprIoT.Frontend.dll", "dotnet build services/Frontend");
        _runtime = await LocalRuntimeHarness.StartAsync(
        [
            new HarnessApp(AppIds.Auth, authPort, ["dotnet", authDll, "--urls", authUrl], new Dictionary<string, string>
            {
                ["Logging__LogLevel__Default"] = "Warning",
                // Every call comes from the frontend's sidecar here: limit per account only.
                ["Auth__LoginsPerAddress"] = "10000",
                // The page renews a token a minute before it expires: with 65 s, five seconds after signing in.
                ["Auth__AccessTokenLifetime"] = AccessTokenLifetime.ToString("c", CultureInfo.InvariantCulture),
            }),
            // The harness gives each app a folder of its own, so the frontend is told where its built web app is.
            new HarnessApp(AppIds.Frontend, frontendPort,
                ["dotnet", frontendDll, "--urls", Url.ToString().TrimEnd('/'), "--contentRoot", FrontendServer.ContentRoot],
                new Dictionary<string, string>
                {
                    ["Logging__LogLevel__Default"] = "Warning",
                    ["Hubs__Destinations__0"] = DeviceManagement.Url,
                }),
            new HarnessApp(AppIds.Statistics, statisticsPort,
                ["dotnet", statisticsDll, "--urls", $"http://127.0.0.1:{statisticsPort.ToString(CultureInfo.InvariantCulture)}"],
                new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" }),
            new HarnessApp(AppIds.DeviceManagement, DeviceManagement.Port),
            new HarnessApp("publisher"),
        ], ComponentFiles.Read(["common/statestore.yaml", "common/auth-secrets.yaml", "redis/pubsub.yaml"], (ComponentFiles.SharedRedis, _redis.Address)), ct,
            files: new Dictionary<string, string> { [SecretsFile] = secretsJson });

        Client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        // Up when auth answers through the frontend and its sidecar: 401 to a call without a token.
        await Eventually.UntilAsync(async token =>
            {
                try { return (int)(await Client.GetAsync("/api/auth/me", token)).StatusCode; }
                catch (HttpRequestException) { return 0; }
            },
            status => status == 401, "auth answers through the frontend", status => $"HTTP {status}\n{_runtime.Output}", TimeSpan.FromSeconds(60), ct);

        _publisher = new DaprClientBuilder()
            .UseGrpcEndpoint($"http://127.0.0.1:{_runtime.GrpcPort("publisher").ToString(CultureInfo.InvariantCulture)}")
            .UseHttpEndpoint(_runtime.SidecarUrl("publisher"))
            .UseJsonSerializationOptions(ContractJson.Options)
            .Build();
        // Publish only once statistics has its subscriptions, or the first messages would find no subscriber.
        await Eventually.UntilAsync(SubscribedTopicsAsync,
            topics => topics.Contains(Topics.Telemetry) && topics.Contains(Topics.DeviceEvents),
            "statistics subscribes to telemetry and device-events", topics => $"[{string.Join(", ", topics)}]\n{_runtime.Output}",
            TimeSpan.FromSeconds(60), ct);

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
        _publisher?.Dispose();
        if (_runtime is not null) await _runtime.DisposeAsync();
        await DeviceManagement.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
    }

    private async Task<IReadOnlyList<string>> SubscribedTopicsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var json = await Runtime.Client.GetStringAsync($"{Runtime.SidecarUrl(AppIds.Statistics)}/v1.0/metadata", cancellationToken);
            using var metadata = JsonDocument.Parse(json);
            return metadata.RootElement.TryGetProperty("subscriptions", out var subscriptions)
                ? [.. subscriptions.EnumerateArray().Select(s => s.GetProperty("topic").GetString() ?? "")]
                : [];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<FrontendPlatform>
{
    public const string Name = "frontend platform";
}
