using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using DaprIoT.DeviceManagement.Events;

namespace DaprIoT.DeviceManagement.ReadModel;

/// <summary>
/// Adds a change to a stored <see cref="DeviceTimeline"/> without reading it into objects: every event of a device
/// rewrites its timeline, a hundred entries, of which only the versions are needed to place the new one. The other
/// entries are copied as they are; the new one is written as <see cref="TimelineEntry"/> is with the contract JSON.
/// </summary>
public static class TimelineJson
{
    /// <summary>
    /// The timeline with the event inserted in version order (newest first), once; the oldest fall off past
    /// <paramref name="length"/>. Null when unchanged: the version is there already, or older than a full timeline's oldest.
    /// </summary>
    /// <exception cref="JsonException">The stored timeline is not one.</exception>
    public static byte[]? WithChange(byte[]? stored, DeviceEventJson deviceEvent, int length)
    {
        using var document = stored is null ? null : JsonDocument.Parse(stored);
        var entries = new List<(long Version, JsonElement Entry)>();
        if (document is not null)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("events"u8, out var events)
                || events.ValueKind != JsonValueKind.Array)
                throw new JsonException("a stored timeline is not an object with an array 'events'");
            foreach (var entry in events.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("version"u8, out var version)
                    || version.ValueKind != JsonValueKind.Number || !version.TryGetInt64(out var number))
                    throw new JsonException("a stored timeline entry has no version");
                if (number == deviceEvent.Version) return null;
                entries.Add((number, entry));
            }
        }

        // Entries are kept newest first; the new one goes before the first older one.
        var at = entries.FindIndex(entry => entry.Version < deviceEvent.Version);
        if (at < 0) at = entries.Count;
        if (at >= length) return null;

        var written = new ArrayBufferWriter<byte>((stored?.Length ?? 0) + 256);
        using (var writer = new Utf8JsonWriter(written))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events"u8);
            for (var i = 0; i < Math.Min(entries.Count + 1, length); i++)
            {
                if (i == at) WriteEntry(writer, deviceEvent);
                else writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(entries[i < at ? i : i - 1].Entry), skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return written.WrittenSpan.ToArray();
    }

    /// <summary>Writes the event's entry as <see cref="TimelineEntry"/> is written with the contract JSON.</summary>
    private static void WriteEntry(Utf8JsonWriter writer, DeviceEventJson deviceEvent)
    {
        writer.WriteStartObject();
        writer.WriteNumber("version"u8, deviceEvent.Version);
        writer.WriteString("at"u8, deviceEvent.At);
        writer.WriteStartArray("changes"u8);
        foreach (var change in deviceEvent.Changes) writer.WriteStringValue(change);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
