using System.Text.Json;
using DaprIoT.Dapr.Internal;

namespace DaprIoT.Dapr.Client;

internal static class HttpContentJsonReading
{
    public static async Task<List<T>> ReadFromJsonArrayAsync<T>(this HttpContent content, CancellationToken cancellationToken)
    {
        var bytes = await content.ReadAsByteArrayAsync(cancellationToken);
        return bytes.Length == 0 ? [] : JsonSerializer.Deserialize<List<T>>(bytes, ProtocolJson.Options) ?? [];
    }
}
