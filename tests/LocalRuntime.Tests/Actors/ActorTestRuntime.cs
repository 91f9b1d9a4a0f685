using System.Net.Http.Json;
using System.Text.Json;
using DaprIoT.LocalRuntime.Actors;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>
/// An in-process stand-in for the runtime: one placement, and sidecars that each serve the actor API on
/// Kestrel (port 0) in front of their own <see cref="ActorTestApp"/> replica.
/// </summary>
internal sealed class ActorTestRuntime : IAsyncDisposable
{
    private readonly List<TestSidecar> _sidecars = [];
    private readonly ServiceProvider _services;

    public ActorTestRuntime(TimeProvider? clock = null, TimeSpan? addressLookupTimeout = null, ActivationLedger? ledger = null)
    {
        Clock = clock ?? TimeProvider.System;
        Ledger = ledger ?? new ActivationLedger();
        Placement = new ActorPlacement(Clock, NullLoggerFactory.Instance)
        {
            AddressLookupTimeout = addressLookupTimeout ?? TimeSpan.FromSeconds(5),
        };
        _services = new ServiceCollection().AddSingleton(Clock).AddSingleton(Placement).BuildServiceProvider();
    }

    public TimeProvider Clock { get; }

    public ActivationLedger Ledger { get; }

    public ActorPlacement Placement { get; }

    public static string HostConfig(string actorTypes, string extra = "") =>
        $$"""{"entities":[{{string.Join(",", actorTypes.Split(',').Select(t => $"\"{t}\""))}}]{{extra}}}""";

    /// <summary>
    /// Starts a sidecar and its app replica; <paramref name="config"/> is what the app answers on /dapr/config. When the
    /// feature fails to start, the exception comes out here, and the sidecar is still disposed with the runtime.
    /// </summary>
    public async Task<TestSidecar> AddSidecarAsync(string appId, string instanceId, string? config, IStateStore? actorStore,
        CancellationToken cancellationToken, ResiliencySpec? resiliency = null)
    {
        var app = await ActorTestApp.StartAsync(instanceId, Ledger, config, cancellationToken);
        var channel = new HttpAppChannel(app.BaseAddress.Host, app.BaseAddress.Port, appToken: null);
        var stores = new Dictionary<string, IStateStore>();
        if (actorStore is not null) stores[actorStore.Name] = actorStore;
        var context = new SidecarContext
        {
            AppId = appId,
            InstanceId = instanceId,
            HttpPort = 0,
            Components = [],
            StateStores = stores,
            ActorStateStoreName = actorStore?.Name,
            DeclarativeSubscriptions = [],
            Resiliency = resiliency ?? ResiliencySpec.Empty,
            App = channel,
            LoggerFactory = NullLoggerFactory.Instance,
            Services = _services,
        };
        var feature = new ActorsFeatureFactory(Placement, Clock).Create(context);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var api = builder.Build();
        feature.MapRoutes(api);
        await api.StartAsync(cancellationToken);

        using (var config0 = await channel.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("dapr/config", UriKind.Relative)), cancellationToken))
        {
            context.Discovery = new AppDiscovery(
                config0.IsSuccessStatusCode ? await config0.Content.ReadFromJsonAsync<JsonElement>(cancellationToken) : null, null);
        }
        var sidecar = new TestSidecar(app, api, feature, channel, context, new HttpClient { BaseAddress = new Uri(api.Urls.First() + "/") });
        app.Sidecar = sidecar.Client.BaseAddress;
        _sidecars.Add(sidecar);
        await feature.StartAsync(cancellationToken);
        return sidecar;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sidecar in _sidecars) await sidecar.DisposeAsync();
        await Placement.DisposeAsync();
        await _services.DisposeAsync();
    }
}
