using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.Conformance.Tests.Harness;

namespace DaprIoT.Conformance.Tests.Actors;

/// <summary>
/// A dapr-local run for actor cases: <c>caller</c> (a sidecar without an app, hosting nothing) and <c>probe-host</c>
/// on one or more replicas (ConformanceApp with ACTORS=true; the SDK's actor host has no turn lock of its own, so only
/// the sidecar keeps calls to one id apart; each records the instance name <c>probe-host-{pid}</c>), over a state.redis
/// actor state store on a Redis of the run's own.
/// </summary>
public sealed class ActorRun : IAsyncDisposable
{
    public const string HostAppId = "probe-host";

    private readonly PrivateRedisServer _redis;

    private ActorRun(PrivateRedisServer redis, LocalRuntimeHarness dapr, IReadOnlyList<ConformanceAppClient> hosts)
    {
        _redis = redis;
        Dapr = dapr;
        Hosts = hosts;
        Actors = new ProbeActorClient();
    }

    public LocalRuntimeHarness Dapr { get; }

    /// <summary>The host replicas' apps, by replica index.</summary>
    public IReadOnlyList<ConformanceAppClient> Hosts { get; }

    public ProbeActorClient Actors { get; }

    /// <summary>Every sidecar of the run: the caller's first, then each host replica's.</summary>
    public IReadOnlyList<string> SidecarUrls => [Dapr.SidecarUrl("caller"), .. Hosts.Select((_, replica) => Dapr.SidecarUrl(HostAppId, replica))];

    public static async Task<ActorRun> StartAsync(int hostReplicas, CancellationToken cancellationToken)
    {
        var redis = await PrivateRedisServer.StartAsync(cancellationToken);
        try
        {
            var ports = Enumerable.Range(0, hostReplicas).Select(_ => FreePorts.Next()).ToList();
            var dapr = await LocalRuntimeHarness.StartAsync(
                [
                    new HarnessApp("caller"),
                    .. ports.Select(port => ConformanceAppProcess.Entry(HostAppId, port, new Dictionary<string, string> { ["ACTORS"] = "true" })),
                ],
                new Dictionary<string, string> { ["statestore.yaml"] = StateStoreYaml(redis.Address) },
                cancellationToken);
            return new ActorRun(redis, dapr, [.. ports.Select(port => new ConformanceAppClient(dapr.Client, port))]);
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    public static string StateStoreYaml(string redisAddress) => $"""
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: statestore
        spec:
          type: state.redis
          version: v1
          metadata:
            - name: redisHost
              value: "{redisAddress}"
            - name: actorStateStore
              value: "true"
        """;

    public async ValueTask DisposeAsync()
    {
        await Dapr.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
