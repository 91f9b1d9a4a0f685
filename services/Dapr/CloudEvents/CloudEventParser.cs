using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.Dapr.CloudEvents;

/// <summary>
/// Turns a delivery request body into a <see cref="CloudEvent"/>. Handles every shape daprd produces: structured
/// JSON <c>data</c> (exact <c>application/json</c>), string <c>data</c> (<c>text/*</c>, vendor <c>+json</c>, other
/// types), <c>data_base64</c> (raw-payload subscriptions, binary types), and bodies that are not CloudEvents.
/// </summary>
public static class CloudEventParser
{
    public const string CloudEventContentType = "application/cloudevents+json";

    /// <exception cref="CloudEventFormatException">The body claims to be a CloudEvent but is not a JSON object, or its <c>data_base64</c> is not base64.</exception>
    public static CloudEvent Parse(ReadOnlyMemory<byte> body, string? contentType, IHeaderDictionary? headers = null)
    {
        var declaredCloudEvent = contentType is not null && contentType.StartsWith(CloudEventContentType, StringComparison.OrdinalIgnoreCase);
        JsonElement root = default;
        var isJsonObject = false;
        try
        {
            if (!body.IsEmpty)
            {
                using var document = JsonDocument.Parse(body);
                root = document.RootElement.Clone();
                isJsonObject = root.ValueKind == JsonValueKind.Object;
            }
        }
        catch (JsonException ex) when (declaredCloudEvent)
        {
            throw new CloudEventFormatException($"The body is declared {CloudEventContentType} but is not valid JSON: {ex.Message}", ex);
        }
        catch (JsonException)
        {
            // Not JSON and not declared a CloudEvent: a plain body, handled below.
        }

        if (declaredCloudEvent && !isJsonObject)
        {
            throw new CloudEventFormatException($"The body is declared {CloudEventContentType} but is not a JSON object.");
        }

        if (!isJsonObject || (!declaredCloudEvent && !root.TryGetProperty("specversion", out _)))
        {
            return PlainBody(body, contentType, headers);
        }

        var cloudEvent = new CloudEvent
        {
            Id = Text(root, "id"),
            Source = Text(root, "source"),
            Type = Text(root, "type"),
            SpecVersion = Text(root, "specversion"),
            DataContentType = Text(root, "datacontenttype"),
            Subject = Text(root, "subject"),
            Time = Text(root, "time"),
            Topic = Text(root, "topic") ?? Header(headers, "topic"),
            PubSubName = Text(root, "pubsubname") ?? Header(headers, "pubsubname"),
            TraceParent = NonEmpty(Text(root, "traceparent")) ?? Header(headers, "traceparent"),
            TraceState = NonEmpty(Text(root, "tracestate")) ?? Header(headers, "tracestate"),
            TraceId = Text(root, "traceid"),
            Expiration = Text(root, "expiration"),
            Envelope = root,
        };

        if (root.TryGetProperty("data_base64", out var base64) && base64.ValueKind == JsonValueKind.String)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(base64.GetString()!);
            }
            catch (FormatException ex)
            {
                throw new CloudEventFormatException($"CloudEvent '{cloudEvent.Id}' has a data_base64 that is not valid base64.", ex);
            }

            return cloudEvent with { IsBase64Data = true, DataBytes = bytes };
        }

        if (root.TryGetProperty("data", out var data) && data.ValueKind != JsonValueKind.Null)
        {
            var bytes = data.ValueKind == JsonValueKind.String
                ? Encoding.UTF8.GetBytes(data.GetString()!)
                : Encoding.UTF8.GetBytes(data.GetRawText());
            return cloudEvent with { Data = data, DataBytes = bytes };
        }

        return cloudEvent;
    }

    private static CloudEvent PlainBody(ReadOnlyMemory<byte> body, string? contentType, IHeaderDictionary? headers)
    {
        JsonElement? data = null;
        if (!body.IsEmpty)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                data = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Bytes that are not JSON stay bytes.
            }
        }

        return new CloudEvent
        {
            IsCloudEvent = false,
            DataContentType = contentType,
            Topic = Header(headers, "topic"),
            PubSubName = Header(headers, "pubsubname"),
            TraceParent = Header(headers, "traceparent"),
            TraceState = Header(headers, "tracestate"),
            Data = data,
            DataBytes = body.ToArray(),
        };
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string? Header(IHeaderDictionary? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value.ToString() : null;
}
