using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Auth;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.TestSupport;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.Benchmarks.Gateway;

/// <summary>Which bus the platform runs on: the component set <c>components/redis</c> or <c>components/rabbitmq</c>.</summary>
public enum Bus { Redis, RabbitMQ }

/// <summary>
/// The platform as <c>./run.sh</c> runs it, with one device-management replica: <c>dapr-local</c> with the
/// repository's component YAML (common, and one bus with its broadcast component) on a Redis of its own (and, on
/// RabbitMQ, a virtual host of its own on the shared server), Mosquitto started by the runtime on a free port, the built
/// services <c>auth</c> (whose signing key this process also holds, to mint access tokens for many users without
/// signing each up), <c>lightbulb</c>, <c>sousvide</c> and <c>device-management</c>, and a sidecar of the benchmark's
/// own (<see cref="PublisherAppId"/>) to publish device events from.
/// </summary>
public sealed class GatewayPlatform : IAsyncDisposable
{
    public const string PublisherAppId = "gateway-bench";

    private PrivateRedisServer? _redis;
    private RabbitVirtualHost? _vhost;
    private LocalRuntimeHarness? _runtime;
    private ECDsaSecurityKey? _signingKey;
    private readonly JsonWebTokenHandler _tokens = new() { SetDefaultTimesOnTokenCreation = false };

    public LocalRuntimeHarness Runtime => _runtime ?? throw new InvalidOperationException("not started");

    public Bus Bus { get; private set; }

    /// <summary>device-management's own port: browsers reach the hub there, as the frontend's edge routing does.</summary>
    public int GatewayPort { get; private set; }

    public string GatewayUrl => $"http://127.0.0.1:{GatewayPort.ToString(CultureInfo.InvariantCulture)}";

    public int BrokerPort { get; private set; }

    public (string User, string Password) BrokerAdmin => ("admin", BrokerLogins.Password("admin"));

    public static async Task<GatewayPlatform> StartAsync(Bus bus, CancellationToken ct)
    {
        var platform = new GatewayPlatform { Bus = bus };
        try
        {
            await platform.InitializeAsync(ct);
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(CancellationToken ct)
    {
        _redis = await PrivateRedisServer.StartAsync(ct);
        if (Bus == Bus.RabbitMQ) _vhost = await RabbitVirtualHost.CreateAsync(ct);
        BrokerPort = FreePorts.Next();
        GatewayPort = FreePorts.Next();
        var authSecrets = await AuthSigningKeyScript.NewSecretsJsonAsync(ct);
        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(AuthSigningKeyScript.PemIn(authSecrets));
        _signingKey = new ECDsaSecurityKey(ecdsa);
        // The key id auth publishes: the key's RFC 7638 thumbprint, so a minted token names the key the JWKS holds.
        using (var publicKey = ECDsa.Create(ecdsa.ExportParameters(includePrivateParameters: false)))
            _signingKey.KeyId = Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(publicKey)).ComputeJwkThumbprint());

        var quiet = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        var apps = new List<HarnessApp>
        {
            BuiltServices.App(AppIds.Auth, "Auth", FreePorts.Next(), quiet),
            BuiltServices.App(AppIds.LightBulb, "LightBulb", FreePorts.Next(), quiet),
            BuiltServices.App(AppIds.SousVide, "SousVide", FreePorts.Next(), quiet),
            BuiltServices.App(AppIds.DeviceManagement, "DeviceManagement", GatewayPort, new Dictionary<string, string>(quiet)
            {
                ["DeviceManagement__MqttPort"] = BrokerPort.ToString(CultureInfo.InvariantCulture),
            }),
            new(PublisherAppId),
        };
        _runtime = await LocalRuntimeHarness.StartAsync(apps, Components(Bus, _redis.Address, _vhost?.Name), ct,
            files: new Dictionary<string, string>
            {
                [".dapr-local/secrets/auth.json"] = authSecrets,
                [BrokerLogins.SecretsFile] = BrokerLogins.Json(BrokerPort),
            }, infrastructure: "auto");
        await WaitUntilReadyAsync(ct);
    }

    /// <summary>An access token for <paramref name="userId"/>, as auth would issue it at login (ES256, 10 minutes).</summary>
    public string Token(string userId)
    {
        var now = DateTime.UtcNow;
        return _tokens.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthNames.Issuer,
            Audience = AuthNames.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + TimeSpan.FromMinutes(10),
            Subject = new ClaimsIdentity([new Claim("sub", userId), new Claim("email", $"{userId}@example.com"), new Claim("name", userId)]),
            SigningCredentials = new SigningCredentials(_signingKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>A client of device-management's REST API signed in as <paramref name="userId"/>.</summary>
    public HttpClient Api(string userId)
    {
        var client = new HttpClient { BaseAddress = new Uri(GatewayUrl), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(userId));
        return client;
    }

    /// <summary>A client of the publisher's sidecar that writes device events as the device actors do (the contracts' JSON).</summary>
    public DaprClient Publisher() => Runtime.CreateDaprClient(PublisherAppId, json: ContractJson.Options);

    public Task<int> PidAsync(string appId, CancellationToken ct) => Runtime.AppPidAsync(appId, cancellationToken: ct);

    /// <summary>device-management's managed heap after its last collection (its /metrics, summed over generations), MB; null if not exported.</summary>
    public async Task<double?> GatewayHeapMbAsync(CancellationToken ct)
    {
        var text = await Runtime.Client.GetStringAsync($"{GatewayUrl}/metrics", ct);
        const string metric = "dotnet_gc_last_collection_heap_size_bytes";
        var lines = text.Split('\n').Where(l => l.StartsWith(metric, StringComparison.Ordinal) && l.Length > metric.Length && l[metric.Length] is '{' or ' ').ToList();
        return lines.Count == 0 ? null : lines.Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)) / 1024 / 1024;
    }

    /// <summary>Ready when device-management accepts a minted token and its sidecar holds both device-events subscriptions.</summary>
    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        using var api = Api("readiness-probe");
        while (true)
        {
            var listed = false;
            try { listed = (await api.GetAsync("/api/devices", ct)).IsSuccessStatusCode; }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }

            var pubsubs = await Runtime.SubscribedPubSubsAsync(AppIds.DeviceManagement, Topics.DeviceEvents, cancellationToken: ct);
            if (listed && pubsubs.Contains(ComponentNames.PubSub) && pubsubs.Contains("pubsub-broadcast")) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"device-management not ready (list answered: {listed}; subscriptions: [{string.Join(", ", pubsubs)}])\n{Runtime.Output}");
            await Task.Delay(250, ct);
        }
    }

    /// <summary>The component YAML ./run.sh loads for the bus, pointed at this run's Redis and virtual host.</summary>
    private static Dictionary<string, string> Components(Bus bus, string redisAddress, string? vhost) =>
        ComponentFiles.Read(ComponentFiles.In("common").Concat(ComponentFiles.In(bus == Bus.Redis ? "redis" : "rabbitmq")),
            (ComponentFiles.SharedRedis, redisAddress), ("127.0.0.1:5672\"", $"127.0.0.1:5672/{vhost}\""));

    public async ValueTask DisposeAsync()
    {
        if (_runtime is not null) await _runtime.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }
}
