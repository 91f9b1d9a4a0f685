using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace DaprIoT.LocalRuntime.Tests.State;

/// <summary>
/// One sidecar's state API in-process on a free port, over real Redis stores (one per <c>keyPrefix</c> strategy)
/// and an in-memory store. Every store name, app id and key carries <see cref="Id"/>, so parallel runs never meet.
/// </summary>
public sealed class StateApiHost : IAsyncLifetime
{
    private readonly Dictionary<string, IStateStore> _stores = new();
    private WebApplication? _app;

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public string AppId => $"app-{Id}";

    /// <summary>Redis, default prefix (<c>{appId}||key</c>), the actor state store.</summary>
    public string RedisStore => "statestore";

    public string MemoryStore => "memstore";

    public string NamePrefixedStore => $"byname-{Id}";

    public string UnprefixedStore => "unprefixed";

    public string CustomPrefixedStore => "custom";

    /// <summary>The custom <c>keyPrefix</c> as configured; daprd lower-cases it.</summary>
    public string CustomPrefix => $"Tenant-{Id}";

    public HttpClient Client { get; private set; } = null!;

    private ConnectionMultiplexer _redis = null!;

    /// <summary>The shared Redis the stores write to, for checking what they stored.</summary>
    public IDatabase Redis => _redis.GetDatabase();

    public StateApi Feature { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        ComponentSpec[] components =
        [
            RedisStateStoreTests.Component(RedisStore, ("actorStateStore", "true")),
            new(MemoryStore, "state.in-memory", "v1", new Dictionary<string, string>(), [], false, "components/memstore.yaml"),
            RedisStateStoreTests.Component(NamePrefixedStore, ("keyPrefix", "name")),
            RedisStateStoreTests.Component(UnprefixedStore, ("keyPrefix", "none")),
            RedisStateStoreTests.Component(CustomPrefixedStore, ("keyPrefix", CustomPrefix)),
        ];
        foreach (var component in components) _stores[component.Name] = await StateStoreFactory.OpenAsync(component, TimeProvider.System, ct);
        (_app, Client) = await StartAsync(Sidecar(AppId, components, _stores), feature => Feature = feature, ct);
        _redis = await TestRedis.ConnectAsync();
    }

    public static SidecarContext Sidecar(string appId, IReadOnlyList<ComponentSpec> components, IReadOnlyDictionary<string, IStateStore> stores,
        ResiliencySpec? resiliency = null) => new()
    {
        AppId = appId,
        InstanceId = $"{appId}-0",
        HttpPort = 0,
        Components = components,
        StateStores = stores,
        ActorStateStoreName = components.FirstOrDefault(StateStoreFactory.IsActorStateStore)?.Name,
        DeclarativeSubscriptions = [],
        Resiliency = resiliency ?? ResiliencySpec.Empty,
        App = new HttpAppChannel("127.0.0.1", appPort: null, appToken: null),
        LoggerFactory = NullLoggerFactory.Instance,
        Services = new ServiceCollection().BuildServiceProvider(),
    };

    /// <summary>Maps a <see cref="StateApi"/> for <paramref name="sidecar"/> onto a Kestrel server on a free loopback port.</summary>
    public static async Task<(WebApplication App, HttpClient Client)> StartAsync(SidecarContext sidecar, Action<StateApi> created, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var feature = (StateApi)new StateApiFactory().Create(sidecar);
        feature.MapRoutes(app);
        created(feature);
        await app.StartAsync(ct);
        return (app, new HttpClient { BaseAddress = new Uri(app.Urls.First()) });
    }

    public JsonObject DescribeMetadata()
    {
        var metadata = new JsonObject();
        Feature.DescribeMetadata(metadata);
        return metadata;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        foreach (var store in _stores.Values) await store.DisposeAsync();
        await TestRedis.DeleteKeysAsync(Redis, $"*{Id}*");
        await _redis.DisposeAsync();
    }

}
