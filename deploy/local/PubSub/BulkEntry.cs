using System.Text;
using System.Text.Json;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>One entry of a bulk publish request, with its event turned into the bytes a single publish would carry.</summary>
internal sealed record BulkEntry(string EntryId, ReadOnlyMemory<byte> Data, string ContentType, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Reads the request body; a <see cref="FormatException"/> says which entry is unusable and why.</summary>
    public static async Task<List<BulkEntry>> ReadAsync(Stream body, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the body is not JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException("the body must be a JSON array of entries");
            var entries = new List<BulkEntry>();
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) throw new FormatException("every entry must be a JSON object");
                var id = item.TryGetProperty("entryId", out var idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString()! : "";
                if (id.Length == 0) throw new FormatException("every entry needs a non-empty entryId");
                if (!ids.Add(id)) throw new FormatException($"entryId '{id}' is used more than once");
                if (!item.TryGetProperty("event", out var @event)) throw new FormatException($"entry '{id}' has no event");
                var contentType = item.TryGetProperty("contentType", out var type) && type.ValueKind == JsonValueKind.String
                    ? type.GetString()!
                    : @event.ValueKind == JsonValueKind.String ? "text/plain" : "application/json";
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                if (item.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
                    foreach (var property in meta.EnumerateObject())
                        metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
                // A JSON string event carries its text (or, for binary types, base64 of the bytes); anything else its JSON.
                var data = @event.ValueKind != JsonValueKind.String || IsJson(contentType)
                    ? Encoding.UTF8.GetBytes(@event.GetRawText())
                    : IsBinary(contentType) && TryBase64(@event.GetString()!, out var bytes) ? bytes : Encoding.UTF8.GetBytes(@event.GetString()!);
                entries.Add(new BulkEntry(id, data, contentType, metadata));
            }
            return entries;
        }
    }

    private static bool IsJson(string contentType)
    {
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.Equals(CloudEvents.ContentType, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsBinary(string contentType) =>
        contentType.Split(';', 2)[0].Trim().Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase);

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out var written)) return false;
        bytes = bytes[..written];
        return true;
    }
}
