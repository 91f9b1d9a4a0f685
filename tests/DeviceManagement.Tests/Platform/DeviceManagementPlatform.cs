using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Actors;
using Dapr.Actors.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.TestSupport;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>Which bus the platform runs on: the component set <c>components/redis</c> or <c>components/rabbitmq</c>.</summary>
public enum Bus { Redis, RabbitMQ }

/// <summary>
/// The platform as <c>./run.sh</c> runs it, minus the browser: <c>dapr-local</c> with the repository's component YAML
/// (common, and one bus with its broadcast component) on a Redis of its own (and, on RabbitMQ, a virtual host of its
/// own on the shared server), Mosquitto started by the runtime on a free port, and the built services — <c>auth</c>
/// (real sign-up, login and keys), <c>lightbulb</c> and <c>sousvide</c> (the device actors) and <c>device-management</c>
/// in two replicas, each reached on its own port as the frontend's edge routing reaches a replica.
/// </summary>
public class DeviceManagementPlatform : IAsyncLifetime
{
    public const int Replicas = 2;

    private readonly Bus _bus;

    public DeviceManagementPlatform() : this(Bus.Redis)
    {
    }

    protected DeviceManagementPlatform(Bus bus) => _bus = bus;

    private PrivateRedisServer? _redis;
    private RabbitVirtualHost? _vhost;
    private LocalRuntimeHarness? _runtime;
    private readonly List<int> _replicaPorts = [];
    private readonly Dictionary<string, Task<(string UserId, string Token)>> _sharedUsers = new(StringComparer.Ordinal);

    public LocalRuntimeHarness Runtime => _runtime ?? throw new InvalidOperationException("not started");

    /// <summary>The auth API through device-management's sidecar (<c>…/v1.0/invoke/auth/method/</c>).</summary>
    public HttpClient Auth { get; private set; } = new();

    /// <summary>The PEM of auth's signing key, to make tokens that are wrong in one way only.</summary>
    public string SigningKeyPem { get; private set; } = "";

    /// <summary>The port Mosquitto listens on, which new devices are told to connect to.</summary>
    public int BrokerPort { get; private set; }

    public string ReplicaUrl(int replica) => $"http://127.0.0.1:{_replicaPorts[replica].ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A client of one replica's API.</summary>
    public HttpClient Replica(int replica) => new() { BaseAddress = new Uri(ReplicaUrl(replica)), Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _redis = await PrivateRedisServer.StartAsync(ct);
        if (_bus == Bus.RabbitMQ) _vhost = await RabbitVirtualHost.CreateAsync(ct);
        BrokerPort = FreePorts.Next();
        var authSecrets = await AuthSigningKeyScript.NewSecretsJsonAsync(ct);
        SigningKeyPem = AuthSigningKeyScript.PemIn(authSecrets);
        var quiet = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        var authPort = FreePorts.Next();
        var apps = new List<HarnessApp>
        {
            BuiltServices.App(AppIds.Auth, "Auth", authPort, new Dictionary<string, string>(quiet)
            {
                // Every login comes from the sidecar's address here; limit per account only.
                ["Auth__LoginsPerAddress"] = "10000",
            }),
            BuiltServices.App(AppIds.LightBulb, "LightBulb", FreePorts.Next(), quiet),
            BuiltServices.App(AppIds.SousVide, "SousVide", FreePorts.Next(), quiet),
        };
        for (var replica = 0; replica < Replicas; replica++)
        {
            var port = FreePorts.Next();
            _replicaPorts.Add(port);
            apps.Add(BuiltServices.App(AppIds.DeviceManagement, "DeviceManagement", port, new Dictionary<string, string>(quiet)
            {
                ["DeviceManagement__MqttPort"] = BrokerPort.ToString(CultureInfo.InvariantCulture),
            }));
        }

        _runtime = await LocalRuntimeHarness.StartAsync(apps, Components(_bus, _redis.Address, _vhost?.Name), ct,
            files: new Dictionary<string, string>
            {
                [".dapr-local/secrets/auth.json"] = authSecrets,
                [BrokerLogins.SecretsFile] = BrokerLogins.Json(BrokerPort),
            }, infrastructure: "auto");

        Auth = new HttpClient { BaseAddress = new Uri($"{_runtime.SidecarUrl(AppIds.DeviceManagement)}/v1.0/invoke/auth/method/") };
        await WaitUntilReadyAsync(ct);
    }

    /// <summary>
    /// A user shared by the tests that only need one to exist, e.g. another user than the owner (signing up and logging
    /// in cost a password hash each). Its token outlives the suite (10 minutes).
    /// </summary>
    public Task<(string UserId, string Token)> SharedUserAsync(string name)
    {
        lock (_sharedUsers)
        {
            if (!_sharedUsers.TryGetValue(name, out var user)) _sharedUsers[name] = user = NewUserAsync();
            return user;
        }
    }

    /// <summary>Signs up a new user and logs in; returns the user id and access token.</summary>
    public async Task<(string UserId, string Token)> NewUserAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var signUp = await Auth.PostAsJsonAsync("api/auth/signup", new { email, password = "correct horse battery", displayName = "Test User" }, ct);
        Assert.True(signUp.StatusCode == HttpStatusCode.Created, await signUp.Content.ReadAsStringAsync(ct));
        var userId = (await signUp.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("userId").GetString()!;
        var login = await Auth.PostAsJsonAsync("api/auth/login", new { email, password = "correct horse battery" }, ct);
        Assert.True(login.StatusCode == HttpStatusCode.OK, await login.Content.ReadAsStringAsync(ct));
        return (userId, (await login.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accessToken").GetString()!);
    }

    /// <summary>
    /// Ready when auth serves its keys, both device actor types answer, and both replicas' sidecars hold both
    /// device-events subscriptions (the shared one and the broadcast one).
    /// </summary>
    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var patience = TimeSpan.FromSeconds(90);
        await Eventually.UntilAsync(async token =>
            {
                try { return (int)(await Auth.GetAsync(".well-known/jwks.json", token)).StatusCode; }
                catch (HttpRequestException) { return 0; }
            },
            status => status == 200, "auth serves its JWKS", status => $"HTTP {status}\n{Runtime.Output}", patience, ct);

        var actors = new ActorProxyFactory(new ActorProxyOptions
        {
            HttpEndpoint = Runtime.SidecarUrl(AppIds.DeviceManagement),
            UseJsonSerialization = true,
            JsonSerializerOptions = new JsonSerializerOptions(ContractJson.Options),
        });
        foreach (var type in new[] { ActorTypes.LightBulb, ActorTypes.SousVide })
        {
            await Eventually.UntilAsync(async _ =>
                {
                    try { return (await actors.CreateActorProxy<IDeviceActor>(new ActorId("readiness-probe"), type).GetTwin()) is not null; }
                    catch (Exception e) when (e is not OperationCanceledException) { return false; }
                },
                answered => answered, $"actor type {type} answers", _ => Runtime.Output, patience, ct);
        }

        // A replica that asked auth for its keys before auth was up refuses tokens until it asks again
        // (JwksCache.FirstFetchRetryInterval): ready means a valid token is taken.
        var (_, token) = await SharedUserAsync("carol");
        for (var replica = 0; replica < Replicas; replica++)
        {
            using var client = Replica(replica);
            await Eventually.UntilAsync(async _ => (await new UserSession(client, "", token).SendAsync(HttpMethod.Get, "/api/devices")).StatusCode,
                status => status == HttpStatusCode.OK, $"device-management #{replica} takes a valid token",
                status => $"HTTP {status}\n{Runtime.Output}", patience, ct);
        }

        for (var replica = 0; replica < Replicas; replica++)
        {
            var index = replica;
            await Eventually.UntilAsync(token => Runtime.SubscribedPubSubsAsync(AppIds.DeviceManagement, Topics.DeviceEvents, index, token),
                pubsubs => pubsubs.Contains(ComponentNames.PubSub) && pubsubs.Contains(SubscriptionsApi.BroadcastPubSub),
                $"device-management #{replica} subscribes to device-events on both components",
                pubsubs => $"[{string.Join(", ", pubsubs)}]\n{Runtime.Output}", patience, ct);
        }
    }

    /// <summary>The RabbitMQ virtual host of this platform (null on Redis).</summary>
    public RabbitVirtualHost? Rabbit => _vhost;

    /// <summary>The component YAML ./run.sh loads for the bus, pointed at the test's Redis and virtual host.</summary>
    private static Dictionary<string, string> Components(Bus bus, string redisAddress, string? vhost) =>
        ComponentFiles.Read(ComponentFiles.In("common").Concat(ComponentFiles.In(bus == Bus.Redis ? "redis" : "rabbitmq")),
            (ComponentFiles.SharedRedis, redisAddress), ("127.0.0.1:5672\"", $"127.0.0.1:5672/{vhost}\""));

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        Auth.Dispose();
        if (_runtime is not null) await _runtime.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }
}
