using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;

namespace DaprIoT.DeviceManagement.Events;

/// <summary>
/// A <see cref="DeviceEvent"/> as this service hears it on <c>device-events</c>: the JSON it was published as, kept
/// whole, and the fields the service decides by, read out of it. Browsers get the JSON as it is (the hub's
/// <c>deviceChanged</c>); the read model stores the twin's JSON as it is. Every event is heard twice (read model and
/// broadcast), thousands a second. Read into objects, each would be a graph of dozens, written back to JSON at once by
/// the read model and per send by the hub, and living just long enough (the last minute's changes are kept for
/// snapshots) to be costly to collect. The twin is read into objects only where it is needed whole: a snapshot, a removal.
/// </summary>
[JsonConverter(typeof(DeviceEventJsonConverter))]
public sealed class DeviceEventJson
{
    private readonly byte[] _json;
    private readonly int _twinStart;
    private readonly int _twinLength;

    private DeviceEventJson(byte[] json, int twinStart, int twinLength, string deviceId, string? owner, long version, DateTimeOffset at,
        IReadOnlyList<string> changes, TwinHead twin)
    {
        (_json, _twinStart, _twinLength) = (json, twinStart, twinLength);
        (DeviceId, Owner, Version, At, Changes, Twin) = (deviceId, owner, version, at, changes, twin);
        Removed = changes.Contains(DeviceChanges.Removed);
    }

    public string DeviceId { get; }

    public string? Owner { get; }

    public long Version { get; }

    public DateTimeOffset At { get; }

    public IReadOnlyList<string> Changes { get; }

    /// <summary>The event is the device's removal (<see cref="DeviceChanges.Removed"/>).</summary>
    public bool Removed { get; }

    /// <summary>What the event's twin says of the device's version, provisioning and owner.</summary>
    public TwinHead Twin { get; }

    /// <summary>The device is gone after this change: removed, or its twin no longer provisioned.</summary>
    public bool Gone => Removed || !Twin.Provisioned;

    /// <summary>The event as published (UTF-8 JSON, written with <see cref="ContractJson.Options"/>).</summary>
    public ReadOnlySpan<byte> Json => _json;

    /// <summary>The event's twin, the JSON as published.</summary>
    public ReadOnlySpan<byte> TwinJson => _json.AsSpan(_twinStart, _twinLength);

    /// <summary>
    /// The event a device event's JSON carries, or null when it is none: an object with a non-empty <c>deviceId</c>, a
    /// <c>version</c>, an <c>at</c> time, <c>changes</c> as an array of strings and a <c>twin</c> object with its
    /// <c>version</c> and <c>provisioned</c>, as <see cref="ContractJson.Options"/> writes them. The rest of the twin
    /// is not read here (the publisher is the device actors).
    /// </summary>
    public static DeviceEventJson? From(JsonElement deviceEvent)
    {
        if (deviceEvent.ValueKind != JsonValueKind.Object
            || !TryGetString(deviceEvent, "deviceId"u8, out var deviceId) || deviceId is not { Length: > 0 }
            || !TryGetString(deviceEvent, "owner"u8, out var owner)
            || !TryGetInt64(deviceEvent, "version"u8, out var version)
            || !deviceEvent.TryGetProperty("at"u8, out var atValue) || atValue.ValueKind != JsonValueKind.String
            || !atValue.TryGetDateTimeOffset(out var at)
            || !deviceEvent.TryGetProperty("changes"u8, out var changesValue) || changesValue.ValueKind != JsonValueKind.Array
            || !deviceEvent.TryGetProperty("twin"u8, out var twin) || twin.ValueKind != JsonValueKind.Object
            || !TryGetInt64(twin, "version"u8, out var twinVersion)
            || !twin.TryGetProperty("provisioned"u8, out var provisioned) || provisioned.ValueKind is not (JsonValueKind.True or JsonValueKind.False)
            || !TryGetString(twin, "owner"u8, out var twinOwner))
            return null;

        var changes = new string[changesValue.GetArrayLength()];
        var i = 0;
        foreach (var change in changesValue.EnumerateArray())
        {
            if (change.ValueKind != JsonValueKind.String) return null;
            changes[i++] = change.GetString()!;
        }

        // Both raw values lie in the one buffer the element was parsed into: the twin's place in it is its place in the event.
        var eventJson = JsonMarshal.GetRawUtf8Value(deviceEvent);
        var twinJson = JsonMarshal.GetRawUtf8Value(twin);
        var twinStart = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(eventJson), ref MemoryMarshal.GetReference(twinJson));
        return new DeviceEventJson(eventJson.ToArray(), twinStart, twinJson.Length, deviceId, owner, version, at, changes,
            new TwinHead(twinVersion, provisioned.ValueKind == JsonValueKind.True, twinOwner));
    }

    /// <summary>The twin after this change, read from the event (for a snapshot, a removal).</summary>
    public DeviceTwinView ReadTwin() =>
        JsonSerializer.Deserialize<DeviceTwinView>(TwinJson, ContractJson.Options)
        ?? throw new JsonException($"the twin of device {DeviceId}'s change {Version} is null");

    /// <summary>A string property, or null when absent or null; false when it is something else.</summary>
    private static bool TryGetString(JsonElement element, ReadOnlySpan<byte> name, out string? value)
    {
        value = null;
        if (!element.TryGetProperty(name, out var property) || property.ValueKind == JsonValueKind.Null) return true;
        if (property.ValueKind != JsonValueKind.String) return false;
        value = property.GetString();
        return true;
    }

    private static bool TryGetInt64(JsonElement element, ReadOnlySpan<byte> name, out long value)
    {
        value = 0;
        return element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.Number && property.TryGetInt64(out value);
    }
}

/// <summary>What a twin says of the device's version, provisioning and owner: all the read model decides by.</summary>
public sealed record TwinHead(long Version, bool Provisioned, string? Owner);

/// <summary>Reads a <see cref="DeviceEventJson"/> from a device event's JSON, and writes it back as that JSON.</summary>
internal sealed class DeviceEventJsonConverter : JsonConverter<DeviceEventJson>
{
    public override DeviceEventJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DeviceEventJson.From(JsonElement.ParseValue(ref reader)) ?? throw new JsonException("not a device event");

    public override void Write(Utf8JsonWriter writer, DeviceEventJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json, skipInputValidation: true);
}
