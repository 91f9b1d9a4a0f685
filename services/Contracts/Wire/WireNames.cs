namespace DaprIoT.Contracts.Wire;

/// <summary>The device types of the protocol; the topic segment is <see cref="WireNames.Of(DeviceType)"/>.</summary>
public enum DeviceType
{
    LightBulb,
    SousVide,
}

/// <summary>The last topic segment: what a message is (tests/contracts/PROTOCOL.md, "Topics").</summary>
public enum MessageKind
{
    State,
    Telemetry,
    Ack,
    Presence,
    Cmd,
}

/// <summary>The exact strings the wire uses for the protocol's enums.</summary>
public static class WireNames
{
    public static string Of(DeviceType type) => type switch
    {
        DeviceType.LightBulb => "lightbulb",
        DeviceType.SousVide => "sousvide",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static string Of(MessageKind kind) => kind switch
    {
        MessageKind.State => "state",
        MessageKind.Telemetry => "telemetry",
        MessageKind.Ack => "ack",
        MessageKind.Presence => "presence",
        MessageKind.Cmd => "cmd",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The code an ack carries in its <c>error</c> field, e.g. <c>out_of_range</c>.</summary>
    public static string Of(WireErrorCode code) => ErrorCodeNames[(int)code];

    /// <summary>The inverse of <see cref="Of(WireErrorCode)"/>.</summary>
    public static bool TryParseErrorCode(string name, out WireErrorCode code)
    {
        int i = Array.IndexOf(ErrorCodeNames, name);
        code = i >= 0 ? (WireErrorCode)i : default;
        return i >= 0;
    }

    // In WireErrorCode order, which is also the order of the protocol's error table.
    internal static readonly string[] ErrorCodeNames =
    [
        "too_large", "bad_json", "bad_id", "unknown_cmd", "missing_field",
        "unknown_field", "bad_type", "out_of_range", "bad_topic",
    ];
}
