using System.Collections;
using System.Globalization;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.Infrastructure;
using DaprIoT.LocalRuntime.Invocation;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// The whole local runtime for one run file: infrastructure, one sidecar per app replica (ports, components,
/// state stores, features, HTTP API) and one supervised app process per replica. <see cref="StartAsync"/>
/// returns once every sidecar API listens; apps come up in the background, as with <c>dapr run -f</c>.
/// </summary>
public sealed partial class RuntimeHost : IAsyncDisposable
{
    private readonly RunFile _runFile;
    private readonly RuntimeOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly List<SidecarHost> _sidecars = [];
    private readonly List<Task> _running = [];
    private readonly List<IStateStore> _stores = [];
    private readonly CancellationTokenSource _stopping = new();
    private InfrastructureLauncher? _infrastructure;
    private ProcessLedger? _ledger;
    private readonly Action<IServiceCollection>? _configureServices;
    private ServiceProvider? _services;

    /// <param name="configureServices">Extra runtime-wide registrations after the building blocks (e.g. a test's own feature).</param>
    public RuntimeHost(RunFile runFile, RuntimeOptions options, ILoggerFactory loggerFactory, Action<IServiceCollection>? configureServices = null)
    {
        _configureServices = configureServices;
        _runFile = runFile;
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("dapr-local");
    }

    public IReadOnlyList<SidecarHost> Sidecars => _sidecars;

    public AppRegistry Registry { get; } = new();

    /// <summary>Completes when every app has stopped for good (all sidecars shut down through their API).</summary>
    public Task Completion => Task.WhenAll(_running);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var @namespace = Environment.GetEnvironmentVariable("NAMESPACE") is { Length: > 0 } ns ? ns : null;
        Directory.CreateDirectory(_options.DataDirectory);
        // Apps an earlier run left running would hold their ports, and its servers would outlive this run: stop them
        // before anything starts.
        _ledger = await ProcessLedger.OpenAsync(_options.DataDirectory, AppProcess.GracePeriod, _logger, cancellationToken);
        if (_options.Infrastructure == InfrastructureMode.Auto)
        {
            _infrastructure = new InfrastructureLauncher(_options.DataDirectory, _loggerFactory.CreateLogger("dapr-local.infra"), _ledger);
            // Before loading: components may read the broker's credentials from this file through secretKeyRef.
            await _infrastructure.EnsureSecretsAsync(cancellationToken);
        }
        var loader = new ResourceLoader(_loggerFactory.CreateLogger("dapr-local.resources"), @namespace);
        var resources = new Dictionary<string, ResourceSet>(StringComparer.Ordinal);
        var plans = new List<(AppDefinition App, ResourceSet Resources, DaprConfiguration Config)>();
        foreach (var app in _runFile.Apps)
        {
            // Per app: secretKeyRefs resolve in the components the app may use, relative to its folder.
            var key = string.Join('\n', [app.AppId, app.AppDirPath, .. app.ResourcesPaths]);
            if (!resources.TryGetValue(key, out var set)) resources[key] = set = loader.Load(app.ResourcesPaths, app.AppId, app.AppDirPath);
            var config = app.ConfigFilePath is { } file
                ? ResourceLoader.LoadConfiguration(file)
                : set.Configurations.FirstOrDefault() ?? DaprConfiguration.Default;
            plans.Add((app, set, config));
        }

        if (_infrastructure is not null)
        {
            var all = plans.SelectMany(p => p.Resources.ComponentsFor(p.App.AppId)).DistinctBy(c => (c.SourceFile, c.Name));
            await _infrastructure.EnsureAsync(all, cancellationToken);
        }

        var services = new ServiceCollection();
        services.AddSingleton(_loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(_options);
        services.AddSingleton(Registry);
        services.AddBuildingBlocks();
        _configureServices?.Invoke(services);
        _services = services.BuildServiceProvider();
        var clock = _services.GetRequiredService<TimeProvider>();

        var taken = _runFile.Apps
            .SelectMany(a => new[] { a.AppPort, a.DaprHttpPort, a.DaprGrpcPort, a.MetricsPort })
            .OfType<int>().ToHashSet();
        var processEnv = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => e.Value?.ToString() ?? "", StringComparer.Ordinal);

        foreach (var (app, set, config) in plans)
        {
            var components = set.ComponentsFor(app.AppId);
            var settings = new SidecarSettings(app,
                app.DaprHttpPort ?? FreePorts.Next(taken),
                app.DaprGrpcPort ?? FreePorts.Next(taken),
                app.MetricsPort ?? FreePorts.Next(taken),
                Token("DAPR_API_TOKEN"), Token("APP_API_TOKEN"), config);
            string? Token(string name) =>
                app.Env.TryGetValue(name, out var value) ? value : processEnv.GetValueOrDefault(name) is { Length: > 0 } v ? v : null;

            var stores = await OpenStateStoresAsync(app, components, clock, cancellationToken);
            var actorStores = components.Where(c => c.Kind == "state" && stores.ContainsKey(c.Name) && StateStoreFactory.IsActorStateStore(c)).ToList();
            if (actorStores.Count > 1)
                throw new ConfigurationException(actorStores[1].SourceFile, $"component '{actorStores[1].Name}' spec.metadata.actorStateStore",
                    $"app '{app.AppId}' already has actor state store '{actorStores[0].Name}'; only one may be marked");

            var channel = new HttpAppChannel(app.AppChannelAddress, app.AppPort, settings.AppApiToken);
            var context = new SidecarContext
            {
                AppId = app.AppId,
                InstanceId = app.InstanceId,
                HttpPort = settings.HttpPort,
                AppDirectory = app.AppDirPath,
                Namespace = @namespace,
                Components = components,
                StateStores = stores,
                ActorStateStoreName = actorStores.FirstOrDefault()?.Name,
                DeclarativeSubscriptions = set.SubscriptionsFor(app.AppId),
                Resiliency = set.ResiliencyFor(app.AppId),
                App = channel,
                LoggerFactory = _loggerFactory,
                Services = _services,
            };
            var sidecar = new SidecarHost(settings, context, channel, Registry);
            sidecar.Extended["cliPID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            if (app.Command.Count > 0) sidecar.Extended["appCommand"] = string.Join(' ', app.Command);
            _sidecars.Add(sidecar);
            Registry.Add(sidecar);
        }

        foreach (var sidecar in _sidecars)
        {
            try
            {
                await sidecar.StartServerAsync(cancellationToken);
            }
            catch (IOException e)
            {
                var app = sidecar.Settings.App;
                throw new ConfigurationException(_runFile.FilePath, $"apps[{app.AppId} #{app.Replica}].daprHTTPPort",
                    $"cannot listen on 127.0.0.1:{sidecar.Context.HttpPort}: {e.Message}");
            }
        }

        foreach (var sidecar in _sidecars)
        {
            var app = sidecar.Settings.App;
            var replicas = _runFile.Apps.Count(a => a.AppId == app.AppId);
            var supervisor = new AppSupervisor(sidecar, AppEnvironment(sidecar.Settings),
                replicas > 1 ? app.InstanceId : app.AppId, _ledger, _loggerFactory.CreateLogger("dapr-local.apps"));
            _running.Add(Task.Run(() => supervisor.RunAsync(_stopping.Token), CancellationToken.None));
        }
    }

    /// <summary>The environment dapr run gives an app (§1.1), plus the run file's env (common, then the app's).</summary>
    public static Dictionary<string, string> AppEnvironment(SidecarSettings settings)
    {
        var app = settings.App;
        var env = new Dictionary<string, string>(app.Env, StringComparer.Ordinal)
        {
            ["APP_ID"] = app.AppId,
            ["APP_PROTOCOL"] = app.AppProtocol,
            ["APP_CHANNEL_ADDRESS"] = app.AppChannelAddress,
            ["DAPR_HTTP_PORT"] = settings.HttpPort.ToString(CultureInfo.InvariantCulture),
            ["DAPR_GRPC_PORT"] = settings.GrpcPort.ToString(CultureInfo.InvariantCulture),
            ["DAPR_METRICS_PORT"] = settings.MetricsPort.ToString(CultureInfo.InvariantCulture),
        };
        if (app.AppPort is { } port) env["APP_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        if (settings.DaprApiToken is { } daprToken) env["DAPR_API_TOKEN"] = daprToken;
        if (settings.AppApiToken is { } appToken) env["APP_API_TOKEN"] = appToken;
        return env;
    }

    /// <summary>
    /// Stops everything: features stop delivering, apps get SIGTERM (then a kill), sidecars and stores close, brokers we
    /// started stop. The run's record of its app processes goes once they have all stopped.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try { await Task.WhenAll(_running); }
        catch (Exception e) { StopFailed(_logger, e); }
        foreach (var sidecar in _sidecars) await sidecar.DisposeAsync();
        foreach (var store in _stores) await store.DisposeAsync();
        if (_services is not null) await _services.DisposeAsync();
        if (_infrastructure is not null) await _infrastructure.DisposeAsync();
        _ledger?.Dispose();
        _stopping.Dispose();
    }

    private async Task<IReadOnlyDictionary<string, IStateStore>> OpenStateStoresAsync(AppDefinition app,
        IReadOnlyList<ComponentSpec> components, TimeProvider clock, CancellationToken cancellationToken)
    {
        var stores = new Dictionary<string, IStateStore>(StringComparer.Ordinal);
        foreach (var component in components.Where(c => c.Kind == "state"))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(component.InitTimeout);
            try
            {
                var store = await StateStoreFactory.OpenAsync(component, clock, timeout.Token);
                stores[component.Name] = store;
                _stores.Add(store);
            }
            catch (Exception e) when (component.IgnoreErrors && !cancellationToken.IsCancellationRequested)
            {
                ComponentIgnored(_logger, e, component.Name, app.AppId);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ConfigurationException(component.SourceFile, $"component '{component.Name}' spec.initTimeout",
                    $"opening the state store took longer than {component.InitTimeout.TotalSeconds} s");
            }
        }
        return stores;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Component {Component} of app {AppId} failed to open; ignored (ignoreErrors: true)")]
    private static partial void ComponentIgnored(ILogger logger, Exception exception, string component, string appId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping the runtime failed")]
    private static partial void StopFailed(ILogger logger, Exception exception);
}
