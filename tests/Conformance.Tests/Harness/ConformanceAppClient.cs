using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>Reads what one ConformanceApp process recorded, straight from its own port (not through a sidecar).</summary>
public sealed class ConformanceAppClient(HttpClient client, int appPort)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public int AppPort { get; } = appPort;

    private string BaseUrl => $"http://127.0.0.1:{AppPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Deliveries whose CloudEvent names <paramref name="topic"/> (dead-lettered ones keep the original topic).</summary>
    public async Task<IReadOnlyList<ObservedDelivery>> DeliveriesAsync(string topic, CancellationToken cancellationToken) =>
        await client.GetFromJsonAsync<List<ObservedDelivery>>($"{BaseUrl}/deliveries?topic={Uri.EscapeDataString(topic)}", Json, cancellationToken) ?? [];

    public async Task<IReadOnlyList<ObservedBindingEvent>> BindingEventsAsync(string name, CancellationToken cancellationToken) =>
        await client.GetFromJsonAsync<List<ObservedBindingEvent>>($"{BaseUrl}/binding-events?name={Uri.EscapeDataString(name)}", Json, cancellationToken) ?? [];

    /// <summary>Activations per actor id in this process.</summary>
    public async Task<IReadOnlyDictionary<string, int>> ActivationsAsync(CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(await client.GetStringAsync($"{BaseUrl}/activations", cancellationToken));
        return document.RootElement.GetProperty("activations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    }

    /// <summary>The process id of the app answering on this port, or null while nothing answers there.</summary>
    public async Task<int?> PidAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var document = JsonDocument.Parse(await client.GetStringAsync($"{BaseUrl}/pid", cancellationToken));
            return document.RootElement.GetProperty("pid").GetInt32();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
