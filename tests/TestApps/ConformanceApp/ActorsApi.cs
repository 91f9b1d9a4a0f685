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
            options.Actors.RegisterActor<ProbeActor>("Probe");
            if (settings.ActorIdleTimeout is { } idle)
            {
                options.ActorIdleTimeout = idle;
            }
        });
    }

    public static void MapConformanceActors(this WebApplication app, IEndpointRouteBuilder api, ConformanceSettings settings)
    {
        if (settings.Actors)
        {
            app.MapActorsHandlers();
        }

        var registry = app.Services.GetRequiredService<ProbeRegistry>();
        api.MapGet("/activations", () => Results.Json(new { instance = settings.Instance, activations = registry.AllActivations }));
    }
}
