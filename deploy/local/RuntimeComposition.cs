using DaprIoT.LocalRuntime.Actors;
using DaprIoT.LocalRuntime.Bindings;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime;

/// <summary>
/// The building blocks this runtime provides. Each registers the factory that gives every sidecar its
/// part of the block, and any runtime-wide singletons it needs (placement, broker connections, …).
/// </summary>
public static class RuntimeComposition
{
    public static IServiceCollection AddBuildingBlocks(this IServiceCollection services)
    {
        services.AddSingleton<TimeProvider>(Hosting.PreciseTimeProvider.Instance);
        // Features start in this order and stop in the reverse one: what an app's handlers call (state, secrets,
        // actors) is up before the first message is delivered to it (pub/sub, input bindings), and stays up until
        // deliveries have stopped and the ones in flight are answered. daprd, given a block-shutdown duration, also
        // stops reading from subscriptions and bindings before anything else.
        services.AddSingleton<ISidecarFeatureFactory, StateApiFactory>();
        services.AddSingleton<ISidecarFeatureFactory, Secrets.SecretsApiFactory>();
        services.AddActors();
        services.AddSingleton<ISidecarFeatureFactory, PubSub.PubSubFeatureFactory>();
        services.AddBindings();
        return services;
    }

    public static IEnumerable<ISidecarFeatureFactory> FeatureFactories(this IServiceProvider services) =>
        services.GetServices<ISidecarFeatureFactory>();
}
