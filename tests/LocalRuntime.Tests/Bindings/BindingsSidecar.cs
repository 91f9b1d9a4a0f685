using System.Net.Http.Json;
using System.Text.Json;
using DaprIoT.LocalRuntime.Bindings;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.LocalRuntime.PubSub;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>
/// One sidecar with only the bindings building block, hosted in-process: its HTTP API on a free port, its app
/// channel pointing at a <see cref="BindingTestApp"/> (or at no app), created through the registered factory.
/// </summary>
public sealed class BindingsSidecar : IAsyncDisposable
{
    private readonly WebApplication _api;
    private readonly HttpAppChannel _channel;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ServiceProvider? _ownedServices;

    private BindingsSidecar(WebApplication api, BindingsFeature feature, HttpAppChannel channel, TestLog log,
        ILoggerFactory loggerFactory, ServiceProvider? ownedServices, HttpClient client)
    {
        _api = api;
        Feature = feature;
        _channel = channel;
        Log = log;
        _loggerFactory = loggerFactory;
        _ownedServices = ownedServices;
        Client = client;
    }

    public BindingsFeature Feature { get; }
    public TestLog Log { get; }

    /// <summary>An HTTP client whose base address is the sidecar's API.</summary>
    public HttpClient Client { get; }

    public static ComponentSpec Mqtt(string name, string topic, params (string Key, string Value)[] metadata)
    {
        var values = new Dictionary<string, string>
        {
            ["url"] = TestMqtt.SharedUrl,
            ["topic"] = topic,
            ["consumerID"] = $"test-{Guid.NewGuid():N}",
            ["cleanSession"] = "true",
        };
        foreach (var (key, value) in metadata) values[key] = value;
        return new ComponentSpec(name, "bindings.mqtt3", "v1", values, [], false, $"/resources/{name}.yaml");
    }

    public static BindingsFeature CreateFeature(IReadOnlyList<ComponentSpec> components, string appId = "test-app")
    {
        var services = new ServiceCollection().AddBindings().BuildServiceProvider();
        var factory = services.GetServices<ISidecarFeatureFactory>().OfType<BindingsFeatureFactory>().Single();
        return (BindingsFeature)factory.Create(Context(components, appId, new HttpAppChannel("127.0.0.1", null, appToken: null), ResiliencySpec.Empty,
            new TestLog().CreateFactory(), services, 0));
    }

    public static async Task<BindingsSidecar> StartAsync(
        IReadOnlyList<ComponentSpec> components, BindingTestApp? app, CancellationToken cancellationToken,
        ResiliencySpec? resiliency = null, string appId = "test-app", int replica = 0, ServiceProvider? runtimeServices = null)
    {
        var log = new TestLog();
        var loggerFactory = log.CreateFactory();
        var ownedServices = runtimeServices is null ? new ServiceCollection().AddBindings().BuildServiceProvider() : null;
        var services = runtimeServices ?? ownedServices!;
        var channel = new HttpAppChannel("127.0.0.1", app?.Port, appToken: null);
        var port = FreePorts.Next();
        var context = Context(components, appId, channel, resiliency ?? ResiliencySpec.Empty, loggerFactory, services, port, replica);
        var feature = (BindingsFeature)services.GetServices<ISidecarFeatureFactory>()
            .OfType<BindingsFeatureFactory>().Single().Create(context);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var api = builder.Build();
        feature.MapRoutes(api);
        await api.StartAsync(cancellationToken);
        await feature.StartAsync(cancellationToken);
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        return new BindingsSidecar(api, feature, channel, log, loggerFactory, ownedServices, client);
    }

    /// <summary>POSTs an output binding request body as JSON.</summary>
    public Task<HttpResponseMessage> InvokeAsync(string name, object body, CancellationToken cancellationToken) =>
        Client.PostAsJsonAsync($"/v1.0/bindings/{name}", body, cancellationToken);

    public static async Task<(string ErrorCode, string Message)> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return (json.RootElement.GetProperty("errorCode").GetString()!, json.RootElement.GetProperty("message").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Feature.DisposeAsync();
        await _api.StopAsync();
        await _api.DisposeAsync();
        _channel.Dispose();
        _loggerFactory.Dispose();
        if (_ownedServices is not null) await _ownedServices.DisposeAsync();
    }

    private static SidecarContext Context(IReadOnlyList<ComponentSpec> components, string appId, IAppChannel channel,
        ResiliencySpec resiliency, ILoggerFactory loggerFactory, IServiceProvider services, int port, int replica = 0) => new()
    {
        AppId = appId,
        InstanceId = $"{appId}-{replica}",
        HttpPort = port,
        Components = components,
        StateStores = new Dictionary<string, IStateStore>(),
        DeclarativeSubscriptions = Array.Empty<SubscriptionSpec>(),
        Resiliency = resiliency,
        App = channel,
        LoggerFactory = loggerFactory,
        Services = services,
    };
}
