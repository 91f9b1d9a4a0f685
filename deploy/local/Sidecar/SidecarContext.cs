using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.PubSub;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// Everything one sidecar (one app replica) knows: its identity, the resources visible to it, the channel
/// to its app and the runtime-wide services. Building blocks receive it when they are created.
/// </summary>
public sealed class SidecarContext
{
    /// <summary>The Dapr app id. Several sidecars share it when dapr.yaml lists the same appID more than once (replicas).</summary>
    public required string AppId { get; init; }

    /// <summary>Unique per replica, e.g. <c>orders-0</c>; used as the host identity in placement and consumer ids.</summary>
    public required string InstanceId { get; init; }

    public required int HttpPort { get; init; }

    /// <summary>The app's <c>appDirPath</c>: the working directory of the app and of its sidecar, as under the Dapr CLI.</summary>
    public string AppDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>The NAMESPACE the app runs in, or null (self-hosted default).</summary>
    public string? Namespace { get; init; }

    /// <summary>Components whose scopes admit this app.</summary>
    public required IReadOnlyList<ComponentSpec> Components { get; init; }

    /// <summary>State stores by component name, opened by the runtime before any building block starts.</summary>
    public required IReadOnlyDictionary<string, IStateStore> StateStores { get; init; }

    /// <summary>The store marked <c>actorStateStore: "true"</c>, or null when there is none (actors then cannot be hosted or called).</summary>
    public string? ActorStateStoreName { get; init; }

    public required IReadOnlyList<SubscriptionSpec> DeclarativeSubscriptions { get; init; }

    public required ResiliencySpec Resiliency { get; init; }

    public required IAppChannel App { get; init; }

    /// <summary>Set by the runtime after the app's port opened and before <see cref="ISidecarFeature.StartAsync"/>.</summary>
    public AppDiscovery Discovery { get; set; } = AppDiscovery.None;

    public required ILoggerFactory LoggerFactory { get; init; }

    /// <summary>Runtime-wide singletons shared by all sidecars (placement, clock, …).</summary>
    public required IServiceProvider Services { get; init; }

    /// <summary>The runtime's clock: every wait and deadline goes through it, so tests can move time.</summary>
    public TimeProvider Clock => _clock ??= Services.GetService<TimeProvider>() ?? TimeProvider.System;

    private TimeProvider? _clock;
}
