using System.Collections.Concurrent;
using DaprIoT.Dapr.Bindings;

namespace DaprIoT.ConformanceApp;

/// <summary>Input bindings from BINDINGS; every delivery is recorded and readable at <c>GET /binding-events?name=</c>.</summary>
public static class BindingsApi
{
    public static void MapConformanceBindings(this WebApplication app, ConformanceSettings settings)
    {
        var events = new ConcurrentQueue<BindingEventRecord>();
        foreach (var name in settings.Bindings)
        {
            app.MapInputBinding(name, (bindingEvent, _) =>
            {
                events.Enqueue(new BindingEventRecord(bindingEvent.BindingName, bindingEvent.DataAsString(), Convert.ToBase64String(bindingEvent.Data.Span),
                    bindingEvent.Metadata, settings.Instance, DateTimeOffset.UtcNow));
                return Task.CompletedTask;
            });
        }

        app.MapGet("/binding-events", (string? name) => Results.Json(events.Where(record => name is null || record.Name == name).ToList()));
    }
}
