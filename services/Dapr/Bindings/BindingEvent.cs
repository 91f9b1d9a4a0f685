using System.Text;
using System.Text.Json;

namespace DaprIoT.Dapr.Bindings;

/// <summary>
/// One input-binding delivery: the component's raw bytes and its metadata (sent by daprd as HTTP headers, lower-cased;
/// the MQTT binding puts the incoming topic in <c>topic</c>).
/// </summary>
public sealed record BindingEvent(string BindingName, ReadOnlyMemory<byte> Data, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The <c>topic</c> metadata (MQTT), or null.</summary>
    public string? Topic => Metadata.TryGetValue("topic", out var topic) ? topic : null;

    public string? TraceParent => Metadata.TryGetValue("traceparent", out var value) ? value : null;

    public string DataAsString() => Encoding.UTF8.GetString(Data.Span);

    public T? DataAs<T>(JsonSerializerOptions? options = null) =>
        Data.IsEmpty ? default : JsonSerializer.Deserialize<T>(Data.Span, options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web));
}
