using DaprIoT.LocalRuntime.Sidecar;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Actors;

public static class ActorsRegistration
{
    /// <summary>Actors: one placement service for the whole runtime, and the per-sidecar feature.</summary>
    public static IServiceCollection AddActors(this IServiceCollection services)
    {
        services.AddSingleton(sp => new ActorPlacement(
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.AddSingleton<ISidecarFeatureFactory, ActorsFeatureFactory>();
        return services;
    }
}
