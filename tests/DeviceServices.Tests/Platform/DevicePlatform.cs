using System.Globalization;
using System.Text.Json;
using Dapr.Actors;
using Dapr.Actors.Client;
using DaprIoT.TestSupport;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.LocalRuntime.Hosting;

namespace DaprIoT.DeviceServices.Tests.Platform;

/// <summary>Which bus the platform runs on: the component set <c>components/redis</c> or <c>components/rabbitmq</c>.</summary>
public enum Bus { Redis, RabbitMQ }

/// <summary>
/// The device half of the platform, run as <c>./run.sh</c> runs it: <c>dapr-local</c> with the repository's own
/// component YAML, the built <c>lightbulb</c> and <c>sousvide</c> services, a bus consumer (<see cref="BusRecorder"/>)
/// and devices of the firmware's host build. Each platform has its own Redis (reminders and twins survive a runtime
/// restart), its own Mosquitto (started by the runtime, <c>--infra auto</c>) and, on RabbitMQ, its own virtual host
/// on the shared server, so tests cannot see each other's devices or messages.
/// </summary>
public sealed class DevicePlatform : IAsyncDisposable
{
    private readonly PrivateRedisServer _redis;
    private readonly RabbitVirtualHost? _vhost;
    private readonly List<FirmwareSimulator> _devices = [];

    private DevicePlatform(LocalRuntimeHarness runtime, PrivateRedisServer redis, RabbitVirtualHost? vhost, BusRecorder recorder, int brokerPort, int lightBulbPort, int sousVidePort)
    {
        _vhost = vhost;
        Runtime = runtime;
        _redis = redis;
        Recorder = recorder;
        BrokerPort = brokerPort;
        LightBulbPort = lightBulbPort;
        SousVidePort = sousVidePort;
        Actors = new ActorProxyFactory(new ActorProxyOptions
        {
            HttpEndpoint = runtime.SidecarUrl(BusRecorder.AppId),
            UseJsonSerialization = true,
            JsonSerializerOptions = new JsonSerializerOptions(ContractJson.Options),
        });
    }

    public LocalRuntimeHarness Runtime { get; }

    public BusRecorder Recorder { get; }

    public int BrokerPort { get; }

    /// <summary>The broker's admin login, for what the platform does not do itself (a test acting as an operator).</summary>
    public (string User, string Password) BrokerAdmin => ("admin", BrokerLogins.Password("admin"));

    public int LightBulbPort { get; }

    public int SousVidePort { get; }

    /// <summary>Actor proxies through the bus recorder's sidecar, as another service calls device actors.</summary>
    public IActorProxyFactory Actors { get; }

    /// <param name="settings">configuration of both services (e.g. <c>Twins__CommandRetryDelay</c>), as environment variables.</param>
    public static async Task<DevicePlatform> StartAsync(Bus bus, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? settings = null)
    {
        var redis = await PrivateRedisServer.StartAsync(cancellationToken);
        var vhost = bus == Bus.RabbitMQ ? await RabbitVirtualHost.CreateAsync(cancellationToken) : null;
        var recorder = await BusRecorder.StartAsync(cancellationToken);
        var brokerPort = FreePorts.Next();
        var lightBulbPort = FreePorts.Next();
        var sousVidePort = FreePorts.Next();
        var env = new Dictionary<string, string>(settings ?? new Dictionary<string, string>()) { ["Logging__LogLevel__Default"] = "Warning" };
        try
        {
            var runtime = await LocalRuntimeHarness.StartAsync(
            [
                Service("lightbulb", PlatformPaths.LightBulbDll, lightBulbPort, env),
                Service("sousvide", PlatformPaths.SousVideDll, sousVidePort, env),
                new HarnessApp(BusRecorder.AppId, recorder.Port),
            ], Components(bus, redis.Address, vhost?.Name), cancellationToken,
                files: new Dictionary<string, string> { [BrokerLogins.SecretsFile] = BrokerLogins.Json(brokerPort) }, infrastructure: "auto");
            return new DevicePlatform(runtime, redis, vhost, recorder, brokerPort, lightBulbPort, sousVidePort);
        }
        catch
        {
            await recorder.DisposeAsync();
            await redis.DisposeAsync();
            if (vhost is not null) await vhost.DisposeAsync();
            throw;
        }
    }

    public ILightBulbActor LightBulb(string deviceId) => Actors.CreateActorProxy<ILightBulbActor>(new ActorId(deviceId), ActorTypes.LightBulb);

    public ISousVideActor SousVide(string deviceId) => Actors.CreateActorProxy<ISousVideActor>(new ActorId(deviceId), ActorTypes.SousVide);

    public IDeviceActor Device(string type, string deviceId) => type == "lightbulb" ? LightBulb(deviceId) : SousVide(deviceId);

    /// <summary>Provisions <paramref name="count"/> devices <c>{prefix}1…</c> of a type for an owner; returns id → password.</summary>
    public async Task<Dictionary<string, string>> ProvisionAsync(string type, string prefix, int count, string owner = "tester")
    {
        var credentials = new Dictionary<string, string>();
        for (var n = 1; n <= count; n++)
        {
            var id = prefix + n.ToString(CultureInfo.InvariantCulture);
            var result = await Device(type, id).Provision(new ProvisionRequest(owner, $"{type} {n}"));
            if (!result.Ok) throw new InvalidOperationException($"provisioning {id} failed: " + string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}")));
            credentials[id] = result.Password!;
        }

        return credentials;
    }

    /// <summary>Starts firmware devices with the given credentials (ids <c>{prefix}1…</c>, numbered from 1).</summary>
    public async Task<FirmwareSimulator> StartDevicesAsync(string type, string prefix, IReadOnlyDictionary<string, string> credentials,
        CancellationToken cancellationToken, params string[] extraArgs)
    {
        var devices = await FirmwareSimulator.StartAsync($"127.0.0.1:{BrokerPort.ToString(CultureInfo.InvariantCulture)}", type, credentials,
            ["--count", credentials.Count.ToString(CultureInfo.InvariantCulture), "--id-prefix", prefix, .. extraArgs], cancellationToken);
        _devices.Add(devices);
        return devices;
    }

    /// <summary>Polls a device's twin until <paramref name="done"/> holds.</summary>
    public Task<DeviceTwinView> TwinUntilAsync(string type, string deviceId, Func<DeviceTwinView, bool> done, string what,
        CancellationToken cancellationToken, TimeSpan? within = null) =>
        Eventually.UntilAsync(_ => Device(type, deviceId).GetTwin(), done, what, twin => JsonSerializer.Serialize(twin, ContractJson.Options),
            within ?? TimeSpan.FromSeconds(20), cancellationToken);

    /// <summary>The services' counters from their Prometheus endpoint: metric line (name and labels) → value.</summary>
    public async Task<IReadOnlyDictionary<string, double>> MetricsAsync(string appId, CancellationToken cancellationToken)
    {
        var port = appId == "lightbulb" ? LightBulbPort : SousVidePort;
        var text = await Runtime.Client.GetStringAsync($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/metrics", cancellationToken);
        return text.Split('\n')
            .Where(line => line.StartsWith("dapriot_", StringComparison.Ordinal))
            .Select(line => (Key: line[..line.LastIndexOf(' ')], Value: double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))
            .ToDictionary(p => p.Key, p => p.Value);
    }

    /// <summary>Sum of the <c>dapriot_device_messages_total</c> counters whose labels include every given one.</summary>
    public async Task<double> MessagesCountedAsync(string appId, CancellationToken cancellationToken, params string[] labels) =>
        Sum(await MetricsAsync(appId, cancellationToken), "dapriot_device_messages_total", labels);

    /// <summary>Sum of a metric's counters (from <see cref="MetricsAsync"/>) whose labels include every given one.</summary>
    public static double Sum(IReadOnlyDictionary<string, double> metrics, string metric, params string[] labels) =>
        metrics
            .Where(m => m.Key.StartsWith(metric + "{", StringComparison.Ordinal) && labels.All(l => m.Key.Contains(l, StringComparison.Ordinal)))
            .Sum(m => m.Value);

    /// <summary>
    /// Stops the platform's Mosquitto (SIGSTOP) until the returned handle is disposed (SIGCONT): a broker that hangs
    /// with every connection to it still open, so a publish waits for a PUBACK that does not come.
    /// </summary>
    public async Task<IAsyncDisposable> FreezeBrokerAsync()
    {
        var broker = BrokerProcessId();
        await Signals.SendAsync(broker, "STOP");
        return new Undo(() => Signals.SendAsync(broker, "CONT"));
    }

    /// <summary>
    /// Makes RabbitMQ refuse every <c>device-events</c> message until the returned handle is disposed: a policy caps
    /// the topic's queues at no messages and rejects what would overflow them, so a publish with confirms is nacked and
    /// fails. Only on the RabbitMQ set.
    /// </summary>
    public async Task<IAsyncDisposable> RefuseDeviceEventsAsync(CancellationToken cancellationToken)
    {
        var vhost = _vhost ?? throw new InvalidOperationException("the bus can refuse messages only on the RabbitMQ set");
        const string policy = "refuse-device-events";
        await vhost.SetPolicyAsync(policy, $"{Topics.DeviceEvents}$", """{"max-length":0,"overflow":"reject-publish"}""", "queues", cancellationToken);
        return new Undo(() => vhost.ClearPolicyAsync(policy, CancellationToken.None));
    }

    /// <summary>The Mosquitto the runtime started for this platform: the one whose configuration is in the runtime's folder.</summary>
    private int BrokerProcessId()
    {
        var folder = Path.TrimEndingDirectorySeparator(Runtime.Folder) + "/";
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string[] arguments;
            try
            {
                arguments = File.ReadAllText(Path.Combine(process, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }
            var config = Array.IndexOf(arguments, "-c") + 1;
            if (arguments[0].EndsWith("mosquitto", StringComparison.Ordinal) && config > 0 && config < arguments.Length
                && arguments[config].StartsWith(folder, StringComparison.Ordinal))
                return pid;
        }
        throw new InvalidOperationException($"no Mosquitto with its configuration under {Runtime.Folder} is running");
    }

    /// <summary>What a test changed in the platform's servers, put back when disposed.</summary>
    private sealed class Undo(Func<Task> undo) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(undo());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var devices in _devices) await devices.DisposeAsync();
        await Runtime.DisposeAsync();
        await Recorder.DisposeAsync();
        await _redis.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    private static HarnessApp Service(string appId, string dll, int port, IReadOnlyDictionary<string, string> env) =>
        new(appId, port, ["dotnet", dll, "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"], env);

    /// <summary>
    /// The repository's components — the ones <c>./run.sh</c> loads — pointed at this platform's Redis and bus. The
    /// broker's address comes, as in <c>./run.sh</c>, from the secrets file (<see cref="BrokerLogins"/>).
    /// </summary>
    private static Dictionary<string, string> Components(Bus bus, string redisAddress, string? vhost) =>
        ComponentFiles.Read(ComponentFiles.In("common").Append(Path.Combine(bus == Bus.Redis ? "redis" : "rabbitmq", "pubsub.yaml")),
            (ComponentFiles.SharedRedis, redisAddress), ("127.0.0.1:5672\"", $"127.0.0.1:5672/{vhost}\""));
}
