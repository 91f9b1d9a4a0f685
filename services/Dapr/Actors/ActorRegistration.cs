using DaprIoT.Dapr.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.Dapr.Actors;

public static class ActorRegistration
{
    /// <summary>Hosts actors: registers the actor runtime (and the sidecar client it saves state and reminders through).</summary>
    public static IServiceCollection AddActors(this IServiceCollection services, Action<ActorRuntimeOptions> configure)
    {
        if (!services.Any(descriptor => descriptor.ServiceType == typeof(DaprSidecarClient)))
        {
            services.AddDaprSidecarClient();
        }

        services.Configure(configure);
        services.AddSingleton<ActorRuntime>();
        return services;
    }
}
