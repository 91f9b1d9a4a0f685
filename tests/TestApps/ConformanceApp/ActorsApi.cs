using DaprIoT.Dapr.Actors;

namespace DaprIoT.ConformanceApp;

/// <summary>Hosts the Probe actor when ACTORS=true, and <c>GET /activations</c> (activations per id in this process).</summary>
public static class ActorsApi
{
    public static void AddConformanceActors(this WebApplicationBuilder builder, ConformanceSettings settings)
    {
        builder.Services.AddSingleton<ProbeRegistry>();
        if (!settings.Actors)
        {
            return;
        }

        builder.Services.AddActors(options =>
        {
            options.RegisterActor<ProbeActor>("Probe");
            options.EnforceTurnsInApp = settings.ActorAppTurnLock;
            if (settings.ActorIdleTimeout is { } idle)
            {
                options.ActorIdleTimeout = idle;
            }
        });
    }

    public static void MapConformanceActors(this WebApplication app, ConformanceSettings settings)
    {
        if (settings.Actors)
        {
            // /healthz is mapped by InvocationApi for every configuration.
            app.MapActorsHandlers(mapHealthCheck: false);
        }

        var registry = app.Services.GetRequiredService<ProbeRegistry>();
        app.MapGet("/activations", () => Results.Json(new { instance = settings.Instance, activations = registry.AllActivations }));
    }
}
