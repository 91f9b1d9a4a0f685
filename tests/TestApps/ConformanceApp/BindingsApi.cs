using System.Collections.Concurrent;
using System.Text;

namespace DaprIoT.ConformanceApp;

/// <summary>
/// Input bindings from BINDINGS, each a plain <c>POST /{name}</c> (the SDK has nothing more for them); every delivery
/// is recorded and readable at <c>GET /binding-events?name=</c>.
/// </summary>
public static class BindingsApi
{
    // Transport headers, not binding metadata (the sidecar sends each metadata entry as a header).
    private static readonly HashSet<string> TransportHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "content-length", "content-type", "connection", "accept", "accept-encoding", "user-agent",
        "transfer-encoding", "expect", "dapr-api-token",
    };

    public static void MapConformanceBindings(this IEndpointRouteBuilder api, ConformanceSettings settings)
    {
        var events = new ConcurrentQueue<BindingEventRecord>();
        foreach (var name in settings.Bindings)
        {
            api.MapPost($"/{name}", async (HttpContext context) =>
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
                var body = buffer.ToArray();
                var metadata = context.Request.Headers
                    .Where(header => !TransportHeaders.Contains(header.Key))
                    .ToDictionary(header => header.Key.ToLowerInvariant(), header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase);
                events.Enqueue(new BindingEventRecord(name, Encoding.UTF8.GetString(body), Convert.ToBase64String(body), metadata, settings.Instance, DateTimeOffset.UtcNow));
                return Results.Ok();
            });
        }

        api.MapGet("/binding-events", (string? name) => Results.Json(events.Where(record => name is null || record.Name == name).ToList()));
    }
}
