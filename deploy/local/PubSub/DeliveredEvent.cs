using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// A stored CloudEvent on its way to an app. Delivering it needs only a few top-level attributes (its id, trace
/// context and expiration), read here in one pass over its bytes; the event is built as JSON nodes only when a routing
/// rule has to look into it. So the common delivery makes no copy of the event and of its data: at thousands of events
/// a second per subscription, those copies were most of what the sidecar allocated.
/// </summary>
internal sealed class DeliveredEvent
{
    private readonly byte[]? _json;
    private JsonObject? _nodes;

    private DeliveredEvent(byte[]? json, JsonObject? nodes)
    {
        _json = json;
        _nodes = nodes;
    }

    // The attributes delivery reads; each one's value is at the same index in _attributes.
    private static readonly string[] AttributeNames = ["id", "traceid", "traceparent", "tracestate", "baggage", "expiration"];
    private static readonly byte[][] Utf8AttributeNames = [.. AttributeNames.Select(Encoding.UTF8.GetBytes)];
    private readonly string?[] _attributes = new string?[AttributeNames.Length];

    public string? Id => _attributes[0];
    public string? Traceid => _attributes[1];
    public string? Traceparent => _attributes[2];
    public string? Tracestate => _attributes[3];
    public string? Baggage => _attributes[4];
    public string? Expiration => _attributes[5];

    /// <summary>The id for logs: <c>?</c> when the event has none.</summary>
    public string IdForLog => Id ?? "?";

    /// <summary>
    /// Reads the attributes of a stored event; null when it is not one JSON object. The whole text is checked, as a
    /// full parse would; an attribute that is not a string counts as absent, and of a repeated key the last counts,
    /// as when daprd decodes the event into a Go map.
    /// </summary>
    public static DeliveredEvent? Read(byte[] json)
    {
        var result = new DeliveredEvent(json, null);
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var index = IndexOf(ref reader);
                reader.Read();
                var text = index >= 0 && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip(); // past an object or array; nothing for a single value
                if (index >= 0) result._attributes[index] = text;
            }
            // Nothing but white space may follow the object.
            return reader.Read() ? null : result;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>An event built here (a raw payload's synthetic event): its nodes are at hand.</summary>
    public static DeliveredEvent Of(JsonObject envelope)
    {
        var result = new DeliveredEvent(null, envelope);
        for (var i = 0; i < AttributeNames.Length; i++)
            result._attributes[i] = envelope[AttributeNames[i]] is JsonValue value
                && value.TryGetValue<string>(out var text) ? text : null;
        return result;
    }

    /// <summary>Which attribute the property the reader is on names; -1 for any other.</summary>
    private static int IndexOf(ref Utf8JsonReader reader)
    {
        var name = reader.ValueSpan;
        if (reader.ValueIsEscaped)
        {
            var unescaped = new byte[name.Length];
            name = unescaped.AsSpan(0, reader.CopyString(unescaped));
        }
        for (var i = 0; i < Utf8AttributeNames.Length; i++)
            if (name.SequenceEqual(Utf8AttributeNames[i])) return i;
        return -1;
    }

    /// <summary>The whole event as JSON nodes, for routing rules; parsed on first use.</summary>
    public JsonObject Nodes => _nodes ??= (JsonObject)JsonNode.Parse(_json!)!;

    /// <summary>Whether the event carries an <c>expiration</c> that has passed (runtime TTL, §3.4).</summary>
    public bool HasExpired(DateTimeOffset now) =>
        Expiration is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiry)
        && expiry < now;
}
