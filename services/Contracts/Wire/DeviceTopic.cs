namespace DaprIoT.Contracts.Wire;

/// <summary>An MQTT topic of the protocol: <c>dapriot/{type}/{deviceId}/{kind}</c>.</summary>
public readonly record struct DeviceTopic(DeviceType Type, string DeviceId, MessageKind Kind)
{
    private const string Root = "dapriot";
    private const int MaxDeviceIdLength = 32;

    /// <summary>
    /// Parses a topic strictly: exactly four levels, lower-case names, a valid device id. Anything
    /// else (wildcards, extra or missing levels, leading or trailing '/') is the wire's <c>bad_topic</c>.
    /// </summary>
    public static bool TryParse(string? topic, out DeviceTopic parsed)
    {
        parsed = default;
        if (topic is null)
            return false;
        Span<Range> levels = stackalloc Range[5];
        ReadOnlySpan<char> span = topic;
        // Asking for one more level than allowed makes a fifth level visible instead of merged into the fourth.
        if (span.Split(levels, '/') != 4 || !span[levels[0]].SequenceEqual(Root))
            return false;
        if (!TryParseType(span[levels[1]], out var type) || !TryParseKind(span[levels[3]], out var kind))
            return false;
        var id = span[levels[2]];
        if (!IsValidDeviceId(id))
            return false;
        parsed = new DeviceTopic(type, id.ToString(), kind);
        return true;
    }

    /// <summary>The topic as it goes on the wire, e.g. <c>dapriot/lightbulb/bulb-1/state</c>.</summary>
    public override string ToString() => $"{Root}/{WireNames.Of(Type)}/{DeviceId}/{WireNames.Of(Kind)}";

    /// <summary>A device id is 1–32 characters of <c>A-Z a-z 0-9 _ -</c>; it is also the device's MQTT client id.</summary>
    public static bool IsValidDeviceId(string? id) => id is not null && IsValidDeviceId(id.AsSpan());

    private static bool IsValidDeviceId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxDeviceIdLength)
            return false;
        foreach (char c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
                return false;
        }
        return true;
    }

    private static bool TryParseType(ReadOnlySpan<char> name, out DeviceType type)
    {
        foreach (var candidate in (ReadOnlySpan<DeviceType>)[DeviceType.LightBulb, DeviceType.SousVide])
        {
            if (name.SequenceEqual(WireNames.Of(candidate)))
            {
                type = candidate;
                return true;
            }
        }
        type = default;
        return false;
    }

    private static bool TryParseKind(ReadOnlySpan<char> name, out MessageKind kind)
    {
        foreach (var candidate in (ReadOnlySpan<MessageKind>)
                 [MessageKind.State, MessageKind.Telemetry, MessageKind.Ack, MessageKind.Presence, MessageKind.Cmd])
        {
            if (name.SequenceEqual(WireNames.Of(candidate)))
            {
                kind = candidate;
                return true;
            }
        }
        kind = default;
        return false;
    }
}
