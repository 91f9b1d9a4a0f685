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
        services.AddSingleton<ISidecarFeatureFactory, StateApiFactory>();
        services.AddSingleton<ISidecarFeatureFactory, PubSub.PubSubFeatureFactory>();
        services.AddSingleton<ISidecarFeatureFactory, Secrets.SecretsApiFactory>();
        services.AddActors();
        services.AddBindings();
        return services;
    }

    public static IEnumerable<ISidecarFeatureFactory> FeatureFactories(this IServiceProvider services) =>
        services.GetServices<ISidecarFeatureFactory>();
}
