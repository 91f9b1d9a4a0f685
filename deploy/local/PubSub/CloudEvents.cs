using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// The CloudEvents daprd writes and delivers: the envelope it builds around a published payload
/// (<c>NewCloudEventsEnvelope</c>), the completion of an app's own CloudEvent (<c>FromCloudEvent</c>) and the
/// synthetic event a raw-payload subscription receives (<c>FromRawPayload</c>).
/// </summary>
public static class CloudEvents
{
    public const string ContentType = "application/cloudevents+json";
    public const string DefaultType = "com.dapr.event.sent";
    public const string DefaultSource = "Dapr";

    /// <summary>Builds the envelope for a payload published with <paramref name="contentType"/> (null = none sent).</summary>
    public static JsonObject Wrap(byte[] body, string? contentType, string appId, string pubsubName, string topic,
        EventTrace trace, IReadOnlyDictionary<string, string> overrides, DateTimeOffset now)
    {
        contentType = string.IsNullOrWhiteSpace(contentType) ? "text/plain" : contentType;
        var traceparent = Override(overrides, "traceparent") ?? trace.Traceparent;
        var envelope = new JsonObject
        {
            ["id"] = Override(overrides, "id") ?? Guid.NewGuid().ToString(),
            ["specversion"] = "1.0",
            ["source"] = Override(overrides, "source") ?? (appId.Length > 0 ? appId : DefaultSource),
            ["type"] = Override(overrides, "type") ?? DefaultType,
            ["datacontenttype"] = contentType,
            ["topic"] = topic,
            ["pubsubname"] = pubsubName,
            // daprd keeps the legacy traceid as a copy of traceparent; an explicit cloudevent.traceid wins.
            ["traceid"] = Override(overrides, "traceid") ?? traceparent,
            ["traceparent"] = traceparent,
            ["tracestate"] = Override(overrides, "tracestate") ?? trace.Tracestate,
            ["time"] = FormatTime(now),
        };
        if (Override(overrides, "subject") is { } subject) envelope["subject"] = subject;
        if (IsBinary(contentType)) envelope["data_base64"] = Convert.ToBase64String(body);
        else envelope["data"] = DataNode(body, contentType);
        return envelope;
    }

    /// <summary>Completes an app's own CloudEvent; null when the body is not a JSON object.</summary>
    public static JsonObject? Complete(byte[] body, string pubsubName, string topic, EventTrace trace, DateTimeOffset now)
    {
        if (Parse(body) is not { } envelope) return null;
        envelope.TryAdd("time", FormatTime(now));
        if (!envelope.ContainsKey("traceid"))
        {
            envelope["traceid"] = trace.Traceparent;
            envelope["traceparent"] = trace.Traceparent;
        }
        envelope.TryAdd("tracestate", trace.Tracestate);
        envelope["topic"] = topic;
        envelope["pubsubname"] = pubsubName;
        envelope.TryAdd("source", DefaultSource);
        envelope.TryAdd("type", DefaultType);
        envelope.TryAdd("specversion", "1.0");
        return envelope;
    }

    /// <summary>The event a raw-payload subscription receives: always base64, with a fresh id per delivery.</summary>
    public static JsonObject FromRawPayload(byte[] payload, string pubsubName, string topic, IReadOnlyDictionary<string, string> metadata)
    {
        var envelope = new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["specversion"] = "1.0",
            ["datacontenttype"] = "application/octet-stream",
            ["source"] = DefaultSource,
            ["type"] = DefaultType,
            ["topic"] = topic,
            ["pubsubname"] = pubsubName,
            ["data_base64"] = Convert.ToBase64String(payload),
        };
        foreach (var key in (string[])["traceid", "traceparent", "tracestate", "baggage"])
            if (metadata.TryGetValue(key, out var value)) envelope[key] = value;
        // As in daprd, traceparent supersedes traceid.
        if (metadata.TryGetValue("traceparent", out var traceparent)) envelope["traceid"] = traceparent;
        return envelope;
    }

    /// <summary>Parses a stored envelope; null when it is not a JSON object (an undecodable message).</summary>
    public static JsonObject? Parse(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes the event as Go's encoding/json writes daprd's map: keys in ordinal order.</summary>
    public static byte[] Serialize(JsonObject envelope)
    {
        // Written straight from the nodes in key order: no sorted copy of the event (and of its data) is built.
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in envelope.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(key);
                if (value is null) writer.WriteNullValue();
                else value.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Whether the event carries an <c>expiration</c> that has passed (runtime TTL, §3.4).</summary>
    public static bool HasExpired(JsonObject envelope, DateTimeOffset now) =>
        envelope["expiration"] is JsonValue value && value.TryGetValue<string>(out var text)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiry)
        && expiry < now;

    /// <summary>RFC 3339 with second precision and the host's offset, as Go's <c>time.RFC3339</c> prints it.</summary>
    public static string FormatTime(DateTimeOffset time)
    {
        var text = time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return time.Offset == TimeSpan.Zero ? text + "Z" : text + time.ToString("zzz", CultureInfo.InvariantCulture);
    }

    private static string? Override(IReadOnlyDictionary<string, string> overrides, string attribute) =>
        overrides.FirstOrDefault(p => string.Equals(p.Key, "cloudevent." + attribute, StringComparison.OrdinalIgnoreCase)).Value;

    private static bool IsBinary(string contentType) =>
        MediaType(contentType) is "application/octet-stream" or "application/cloudevents+protobuf" or "application/x-protobuf";

    private static JsonNode? DataNode(byte[] body, string contentType)
    {
        // Only exact application/json (any parameters) is embedded as structured JSON; +json vendor types are strings.
        if (MediaType(contentType) == "application/json")
        {
            try
            {
                return JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                // daprd embeds an invalid JSON body as a JSON string rather than rejecting it.
            }
        }
        return JsonValue.Create(Encoding.UTF8.GetString(body));
    }

    private static string MediaType(string contentType) => contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
}
