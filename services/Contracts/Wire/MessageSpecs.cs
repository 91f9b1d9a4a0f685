using System.Runtime.CompilerServices;

namespace DaprIoT.Contracts.Wire;

/// <summary>How a field is written on the wire.</summary>
internal enum FieldKind : byte
{
    Bool,

    /// <summary>An integer without fraction or exponent.</summary>
    UInt,

    /// <summary>A temperature: a decimal in 0.1 steps without exponent, held as tenths.</summary>
    Tenths,

    /// <summary>Printable ASCII limited to <c>A-Z a-z 0-9 . _ : -</c> (command ids, firmware versions).</summary>
    Id,

    /// <summary>Printable ASCII.</summary>
    Text,

    /// <summary>One string of a fixed list, held as its index.</summary>
    Enum,

    /// <summary>A nested object with its own fields.</summary>
    Object,
}

/// <summary>One field of a message: its name, form and limits.</summary>
/// <param name="Min">UInt and Tenths: smallest value (in tenths for Tenths). Id and Text: shortest length.</param>
/// <param name="Max">UInt and Tenths: largest value. Id and Text: longest length.</param>
internal sealed record FieldSpec(
    string Name, FieldKind Kind, bool Required, long Min = 0, long Max = 0, string[]? Names = null, MessageSpec? Nested = null)
{
    public static FieldSpec Bool(string name, bool required = true) => new(name, FieldKind.Bool, required);

    public static FieldSpec UInt(string name, long min, long max, bool required = true) =>
        new(name, FieldKind.UInt, required, min, max);

    public static FieldSpec Tenths(string name, long minTenths, long maxTenths, bool required = true) =>
        new(name, FieldKind.Tenths, required, minTenths, maxTenths);

    public static FieldSpec Id(string name, int maxLength, bool required = true) =>
        new(name, FieldKind.Id, required, 1, maxLength);

    public static FieldSpec Text(string name, int maxLength, bool required = true) =>
        new(name, FieldKind.Text, required, 0, maxLength);

    public static FieldSpec Enum(string name, string[] names, bool required = true) =>
        new(name, FieldKind.Enum, required, Names: names);

    public static FieldSpec Object(string name, MessageSpec nested, bool required = true) =>
        new(name, FieldKind.Object, required, Nested: nested);
}

/// <summary>
/// The fields of one message, in canonical order (the order of the protocol's tables, which the
/// encoder writes). A message's values sit in a <see cref="FieldValues"/> at the same indexes; the
/// values of a nested object follow right after its parent's (the one nested object of the protocol
/// is a cooker's program).
/// </summary>
internal sealed class MessageSpec(params FieldSpec[] fields)
{
    public FieldSpec[] Fields { get; } = fields;

    /// <summary>Index of the field whose name the key token decodes to, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> json, in JsonToken key)
    {
        for (int f = 0; f < Fields.Length; f++)
        {
            if (JsonText.Matches(json, key, Fields[f].Name))
                return f;
        }
        return -1;
    }
}

/// <summary>A field's value between the wire and a record.</summary>
internal struct FieldValue
{
    public bool Present;

    /// <summary>Bool: 0 or 1. UInt: the value. Tenths: the value in tenths. Enum: the index into the names.</summary>
    public long Number;

    /// <summary>Id and Text.</summary>
    public string? Text;
}

/// <summary>Room for the values of the largest message (a cooker's state with its program), on the stack.</summary>
[InlineArray(Capacity)]
internal struct FieldValues
{
    public const int Capacity = 9;

    private FieldValue _first;
}

/// <summary>Every message of the protocol (tests/contracts/PROTOCOL.md, "Payloads").</summary>
internal static class Specs
{
    public const int MaxCommandIdLength = 40;
    public const int MaxMessageLength = 80;
    public const int MaxFwLength = 16;

    public static readonly string[] Phases = ["preheat", "cooking", "done"];
    public static readonly string[] Statuses = ["online", "offline"];
    public static readonly string[] LightBulbCommands = ["set", "toggle", "report"];
    public static readonly string[] SousVideCommands = ["set", "startProgram", "stopProgram", "report"];

    private static readonly FieldSpec Boot = FieldSpec.UInt("boot", 1, uint.MaxValue);
    private static readonly FieldSpec Seq = FieldSpec.UInt("seq", 1, uint.MaxValue);
    private static readonly FieldSpec UptimeS = FieldSpec.UInt("uptimeS", 0, uint.MaxValue);
    private static readonly FieldSpec TargetTempC = FieldSpec.Tenths("targetTempC", 200, 950);
    private static readonly FieldSpec WaterTempC = FieldSpec.Tenths("waterTempC", -200, 1200);
    private static readonly FieldSpec DurationS = FieldSpec.UInt("durationS", 1, 259_200);
    public static readonly FieldSpec CommandId = FieldSpec.Id("id", MaxCommandIdLength);

    public static readonly MessageSpec LightBulbState = new(
        Boot, Seq,
        FieldSpec.Bool("power"),
        FieldSpec.UInt("brightnessPct", 0, 100),
        FieldSpec.UInt("colorTempK", 2700, 6500));

    public static readonly MessageSpec LightBulbTelemetry = new(
        Boot, Seq, UptimeS,
        FieldSpec.UInt("powerMw", 0, 100_000));

    public static readonly MessageSpec Program = new(
        DurationS,
        FieldSpec.UInt("elapsedS", 0, 259_200),
        FieldSpec.Enum("phase", Phases));

    public static readonly MessageSpec SousVideState = new(
        Boot, Seq,
        FieldSpec.Bool("heater"),
        TargetTempC,
        WaterTempC,
        FieldSpec.Object("program", Program, required: false));

    public static readonly MessageSpec SousVideTelemetry = new(
        Boot, Seq, UptimeS, WaterTempC,
        FieldSpec.Bool("heating"));

    // Which optional fields an ack needs depends on "ok" and "error": see WireCodec's rules.
    public static readonly MessageSpec Ack = new(
        Boot, Seq,
        CommandId with { Required = false },
        FieldSpec.Bool("ok"),
        FieldSpec.Enum("error", WireNames.ErrorCodeNames, required: false),
        FieldSpec.Text("message", MaxMessageLength, required: false));

    // Seq 0 is the last will's; an online message must have seq 1 or more (checked with the rules).
    public static readonly MessageSpec Presence = new(
        Boot,
        Seq with { Min = 0 },
        FieldSpec.Enum("status", Statuses),
        FieldSpec.UInt("heartbeatS", 1, 3600, required: false),
        FieldSpec.Id("fw", MaxFwLength, required: false));

    // Which optional fields a command takes depends on its name: see WireCodec's rules.
    public static readonly MessageSpec LightBulbCommand = new(
        CommandId,
        FieldSpec.Enum("cmd", LightBulbCommands),
        FieldSpec.Bool("power", required: false),
        FieldSpec.UInt("brightnessPct", 0, 100, required: false),
        FieldSpec.UInt("colorTempK", 2700, 6500, required: false));

    public static readonly MessageSpec SousVideCommand = new(
        CommandId,
        FieldSpec.Enum("cmd", SousVideCommands),
        FieldSpec.Bool("heater", required: false),
        TargetTempC with { Required = false },
        DurationS with { Required = false });

    public static MessageSpec For(DeviceType type, MessageKind kind) => (type, kind) switch
    {
        (_, MessageKind.Ack) => Ack,
        (_, MessageKind.Presence) => Presence,
        (DeviceType.LightBulb, MessageKind.State) => LightBulbState,
        (DeviceType.LightBulb, MessageKind.Telemetry) => LightBulbTelemetry,
        (DeviceType.LightBulb, MessageKind.Cmd) => LightBulbCommand,
        (DeviceType.SousVide, MessageKind.State) => SousVideState,
        (DeviceType.SousVide, MessageKind.Telemetry) => SousVideTelemetry,
        (DeviceType.SousVide, MessageKind.Cmd) => SousVideCommand,
        _ => throw new ArgumentOutOfRangeException(nameof(type), $"no message {type}/{kind}"),
    };
}
