using System.Text;
using System.Text.Json;

namespace DaprIoT.Dapr.CloudEvents;

/// <summary>
/// A pub/sub delivery as the handler sees it: the CloudEvent envelope fields and the payload. The payload is kept in
/// the form it arrived in (<c>data</c> as JSON, <c>data</c> as a string, or <c>data_base64</c>); <see cref="DataAs{T}"/>
/// and <see cref="DataAsJson"/> give one view over all of them.
/// </summary>
public sealed record CloudEvent
{
    /// <summary>False when the body was not a CloudEvent at all; then the whole body is the data.</summary>
    public bool IsCloudEvent { get; init; } = true;

    public string? Id { get; init; }

    public string? Source { get; init; }

    public string? Type { get; init; }

    public string? SpecVersion { get; init; }

    public string? DataContentType { get; init; }

    public string? Subject { get; init; }

    public string? Time { get; init; }

    public string? Topic { get; init; }

    public string? PubSubName { get; init; }

    public string? TraceParent { get; init; }

    public string? TraceState { get; init; }

    public string? TraceId { get; init; }

    /// <summary>RFC 3339 expiry written by daprd for TTL on brokers without native TTL.</summary>
    public string? Expiration { get; init; }

    /// <summary>The <c>data</c> member as JSON (an object, array, number, or a JSON string for text and <c>+json</c> types); null for <c>data_base64</c> or no data.</summary>
    public JsonElement? Data { get; init; }

    /// <summary>True when the payload came as <c>data_base64</c> (raw-payload subscriptions, binary content types).</summary>
    public bool IsBase64Data { get; init; }

    /// <summary>
    /// The payload bytes: decoded <c>data_base64</c>, the text of a string <c>data</c>, the JSON text of structured
    /// <c>data</c>, or the whole body of a non-CloudEvent delivery.
    /// </summary>
    public ReadOnlyMemory<byte> DataBytes { get; init; }

    /// <summary>The whole envelope, for extension attributes; null for non-CloudEvent bodies.</summary>
    public JsonElement? Envelope { get; init; }

    /// <summary>The payload as text (a JSON string's value, or the bytes as UTF-8).</summary>
    public string DataAsString() => Encoding.UTF8.GetString(DataBytes.Span);

    /// <summary>
    /// The payload as a JSON value: structured <c>data</c> as is; string <c>data</c> or bytes parsed as JSON when they
    /// hold JSON (vendor <c>+json</c> types arrive as strings, raw payloads as base64); otherwise a JSON string of the
    /// text for string data, or null for bytes that are not JSON.
    /// </summary>
    public JsonElement? DataAsJson()
    {
        if (Data is { ValueKind: not JsonValueKind.String } structured)
        {
            return structured;
        }

        // String data is parsed only when its content type says JSON (vendor +json types): "42" sent as text/plain stays text.
        var mayHoldJson = IsBase64Data || !IsCloudEvent || IsJsonContentType(DataContentType);
        if (mayHoldJson && TryParseJson(DataBytes, out var parsed))
        {
            return parsed;
        }

        return Data;
    }

    /// <summary>Deserializes the payload; for <c>string</c> the text, for <c>byte[]</c> the bytes, otherwise via <see cref="DataAsJson"/>.</summary>
    public T? DataAs<T>(JsonSerializerOptions? options = null)
    {
        if (typeof(T) == typeof(string))
        {
            return (T)(object)DataAsString();
        }

        if (typeof(T) == typeof(byte[]))
        {
            return (T)(object)DataBytes.ToArray();
        }

        if (DataAsJson() is not { } json)
        {
            if (DataBytes.IsEmpty)
            {
                return default;
            }

            throw new JsonException($"The payload of event '{Id}' ({DataContentType ?? "no content type"}) is not JSON, so it cannot be read as {typeof(T).Name}.");
        }

        return json.Deserialize<T>(options ?? DefaultOptions);
    }

    private static bool IsJsonContentType(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.Split(';')[0].EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static readonly JsonSerializerOptions DefaultOptions = new(JsonSerializerDefaults.Web);

    private static bool TryParseJson(ReadOnlyMemory<byte> bytes, out JsonElement element)
    {
        element = default;
        if (bytes.IsEmpty)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            element = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
