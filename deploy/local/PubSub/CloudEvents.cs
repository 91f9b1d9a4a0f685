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

    /// <summary>
    /// The event for a payload published with <paramref name="contentType"/> (null = none sent), written as Go's
    /// encoding/json writes daprd's map (keys in ordinal order) straight from the request: the payload is not built as
    /// JSON nodes first. <paramref name="expiration"/> is written when the broker has no TTL of its own.
    /// </summary>
    public static byte[] Wrap(ReadOnlyMemory<byte> body, string? contentType, string appId, string pubsubName, string topic,
        EventTrace trace, IReadOnlyDictionary<string, string> overrides, DateTimeOffset now, string? expiration = null)
    {
        contentType = string.IsNullOrWhiteSpace(contentType) ? "text/plain" : contentType;
        var traceparent = Override(overrides, "traceparent") ?? trace.Traceparent;
        var buffer = new ArrayBufferWriter<byte>(body.Length + 512);
        using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        if (IsBinary(contentType)) writer.WriteBase64String("data_base64", body.Span);
        else WriteData(writer, body, contentType);
        writer.WriteString("datacontenttype", contentType);
        if (expiration is not null) writer.WriteString("expiration", expiration);
        writer.WriteString("id", Override(overrides, "id") ?? Guid.NewGuid().ToString());
        writer.WriteString("pubsubname", pubsubName);
        writer.WriteString("source", Override(overrides, "source") ?? (appId.Length > 0 ? appId : DefaultSource));
        writer.WriteString("specversion", "1.0");
        if (Override(overrides, "subject") is { } subject) writer.WriteString("subject", subject);
        writer.WriteString("time", FormatTime(now));
        writer.WriteString("topic", topic);
        // daprd keeps the legacy traceid as a copy of traceparent; an explicit cloudevent.traceid wins.
        writer.WriteString("traceid", Override(overrides, "traceid") ?? traceparent);
        writer.WriteString("traceparent", traceparent);
        writer.WriteString("tracestate", Override(overrides, "tracestate") ?? trace.Tracestate);
        writer.WriteString("type", Override(overrides, "type") ?? DefaultType);
        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Completes an app's own CloudEvent; null when the body is not a JSON object.</summary>
    public static JsonObject? Complete(ReadOnlyMemory<byte> body, string pubsubName, string topic, EventTrace trace, DateTimeOffset now)
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

    /// <summary>Parses an app's own CloudEvent; null when it is not a JSON object.</summary>
    private static JsonObject? Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonNode.Parse(body.Span) as JsonObject;
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

    private static void WriteData(Utf8JsonWriter writer, ReadOnlyMemory<byte> body, string contentType)
    {
        writer.WritePropertyName("data");
        // Only exact application/json (any parameters) is embedded as structured JSON; +json vendor types are strings.
        if (MediaType(contentType) == "application/json")
        {
            try
            {
                // Pooled, not built as nodes; written back compact, as daprd re-encodes it.
                using var document = JsonDocument.Parse(body);
                document.RootElement.WriteTo(writer);
                return;
            }
            catch (JsonException)
            {
                // daprd embeds an invalid JSON body as a JSON string rather than rejecting it.
            }
        }
        writer.WriteStringValue(Encoding.UTF8.GetString(body.Span));
    }

    private static string MediaType(string contentType) => contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
}
