using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.PubSub;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;
using DaprIoT.LocalRuntime.Tests.Bindings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>
/// One sidecar hosting only the pub/sub block, in-process: its API on a free port with the block's routes, its
/// app channel to a <see cref="SubscriberApp"/> (or none), and the block started as the runtime would start it.
/// </summary>
public sealed class PubSubSidecar : IAsyncDisposable
{
    private readonly WebApplication _api;
    private readonly HttpAppChannel _channel;
    private readonly TestLog _log;

    private PubSubSidecar(WebApplication api, PubSubFeature feature, SidecarContext context, HttpAppChannel channel, HttpClient client, TestLog log)
    {
        _log = log;
        _api = api;
        Feature = feature;
        Context = context;
        _channel = channel;
        Client = client;
    }

    public PubSubFeature Feature { get; }
    public SidecarContext Context { get; }

    /// <summary>A client for this sidecar's HTTP API.</summary>
    public HttpClient Client { get; }

    /// <summary>What the sidecar logged, as <c>Level: message</c> lines.</summary>
    public IReadOnlyCollection<string> Logs => _log.Lines;

    public static async Task<PubSubSidecar> StartAsync(
        string appId,
        IReadOnlyList<ComponentSpec> components,
        SubscriberApp? app = null,
        string? instanceId = null,
        IReadOnlyList<SubscriptionSpec>? declarative = null,
        string? subscribeAnswer = null,
        ResiliencySpec? resiliency = null,
        TimeProvider? clock = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var port = FreePort();
        var channel = new HttpAppChannel("127.0.0.1", app?.Port, appToken: null);
        var log = new TestLog();
        var context = new SidecarContext
        {
            AppId = appId,
            InstanceId = instanceId ?? $"{appId}-0",
            HttpPort = port,
            Components = components,
            StateStores = new Dictionary<string, IStateStore>(),
            DeclarativeSubscriptions = declarative ?? [],
            Resiliency = resiliency ?? ResiliencySpec.Empty,
            App = channel,
            LoggerFactory = log.CreateFactory(),
            Services = new ServiceCollection().BuildServiceProvider(),
            Discovery = new AppDiscovery(null, subscribeAnswer is null ? null : JsonDocument.Parse(subscribeAnswer).RootElement.Clone()),
        };
        var feature = (PubSubFeature)new PubSubFeatureFactory(clock ?? TimeProvider.System).Create(context);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var api = builder.Build();
        feature.MapRoutes(api);
        await api.StartAsync(ct);
        await feature.StartAsync(ct);
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        return new PubSubSidecar(api, feature, context, channel, client, log);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Feature.DisposeAsync();
        Client.Dispose();
        await _api.StopAsync();
        await _api.DisposeAsync();
        _channel?.Dispose();
        Context.LoggerFactory.Dispose();
    }

}
