using System.Text;
using DaprIoT.Contracts.Wire;

namespace DaprIoT.Contracts.Tests;

/// <summary>What the shared vectors do not cover: encoder round trips, encoder refusals, command ids, and firmware edge cases.</summary>
public class WireCodecTests
{
    public static TheoryData<DeviceMessage, DeviceType, MessageKind> Messages() => new()
    {
        { new LightBulbState(7, 9, true, 42, 3000), DeviceType.LightBulb, MessageKind.State },
        { new LightBulbTelemetry(uint.MaxValue, uint.MaxValue, uint.MaxValue, 100_000), DeviceType.LightBulb, MessageKind.Telemetry },
        { new SousVideState(1, 2, false, 56.5m, -0.5m, null), DeviceType.SousVide, MessageKind.State },
        { new SousVideState(1, 2, true, 60m, 59.9m, new SousVideProgram(5400, 30, ProgramPhase.Cooking)), DeviceType.SousVide, MessageKind.State },
        { new SousVideTelemetry(1, 2, 0, 120.0m, true), DeviceType.SousVide, MessageKind.Telemetry },
        { new DeviceAck(1, 2, "c-1", true, null, null), DeviceType.LightBulb, MessageKind.Ack },
        { new DeviceAck(1, 2, "c-1", false, "out_of_range", "say \"hi\" \\"), DeviceType.SousVide, MessageKind.Ack },
        { new DeviceAck(1, 2, null, false, "bad_json", null), DeviceType.SousVide, MessageKind.Ack },
        { new DevicePresence(1, 1, PresenceStatus.Online, 30, "1.0.0"), DeviceType.LightBulb, MessageKind.Presence },
        { new DevicePresence(1, 0, PresenceStatus.Offline, null, null), DeviceType.SousVide, MessageKind.Presence },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Encoded_message_decodes_to_the_same_record(DeviceMessage message, DeviceType type, MessageKind kind)
    {
        var result = WireCodec.DecodeReport(type, kind, WireCodec.Encode(message));

        Assert.True(result.Ok, result.Error?.ToString());
        Assert.Equal(message, result.Value);
    }

    public static TheoryData<DeviceCommand, DeviceType> Commands() => new()
    {
        { new LightBulbSet("c-1", true, null, null), DeviceType.LightBulb },
        { new LightBulbSet("c-2", null, 0, 6500), DeviceType.LightBulb },
        { new LightBulbToggle("c-3"), DeviceType.LightBulb },
        { new ReportCommand("c-4"), DeviceType.LightBulb },
        { new ReportCommand("0b6f3c1e-2f4d-4d0e-9d8e-6f1f3a2b4c5d"), DeviceType.SousVide },
        { new SousVideSet("p-1", false, null), DeviceType.SousVide },
        { new SousVideSet("p-2", null, 63.2m), DeviceType.SousVide },
        { new StartProgram("p-3", 56.5m, 5400), DeviceType.SousVide },
        { new StopProgram("p-4"), DeviceType.SousVide },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Encoded_command_decodes_to_the_same_record(DeviceCommand command, DeviceType type)
    {
        var result = WireCodec.DecodeCommand(type, WireCodec.Encode(command));

        Assert.True(result.Ok, result.Error?.ToString());
        Assert.Equal(command, result.Value);
    }

    [Fact]
    public void Temperatures_are_written_with_exactly_one_decimal()
    {
        var bytes = WireCodec.Encode(new SousVideTelemetry(1, 2, 3, 60m, false));

        Assert.Equal("""{"boot":1,"seq":2,"uptimeS":3,"waterTempC":60.0,"heating":false}""", Encoding.UTF8.GetString(bytes));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a.b_c:d-e")]
    [InlineData("0b6f3c1e-2f4d-4d0e-9d8e-6f1f3a2b4c5d")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Valid_command_ids(string id) => Assert.True(WireCodec.IsValidCommandId(id));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("c 1")]
    [InlineData("c/1")]
    [InlineData("café")]
    [InlineData("c\n1")]
    public void Invalid_command_ids(string? id) => Assert.False(WireCodec.IsValidCommandId(id));

    public static TheoryData<DeviceMessage> InvalidMessages() => new()
    {
        new LightBulbState(0, 1, true, 50, 3000),           // boot 0 is never used
        new LightBulbState(1, 1, true, 101, 3000),
        new SousVideState(1, 1, true, 95.1m, 20m, null),
        new SousVideState(1, 1, true, 56.5m, 20m, new SousVideProgram(0, 0, ProgramPhase.Preheat)),
        new DeviceAck(1, 1, "c-1", false, null, null),      // a rejection needs its error code
        new DeviceAck(1, 1, "c-1", false, "on_fire", null),
        new DeviceAck(1, 1, null, false, "out_of_range", null), // only unreadable ids may be left out
        new DeviceAck(1, 1, "c-1", true, null, "fine"),
        new DeviceAck(1, 1, "c-1", false, "bad_type", new string('m', 81)),
        new DevicePresence(1, 0, PresenceStatus.Online, 30, "1.0.0"),
        new DevicePresence(1, 5, PresenceStatus.Offline, 30, null),
        new DevicePresence(1, 1, PresenceStatus.Online, 30, "1.0.0 beta"),
    };

    [Theory]
    [MemberData(nameof(InvalidMessages))]
    public void Encoder_refuses_a_message_the_decoder_would_reject(DeviceMessage message) =>
        Assert.ThrowsAny<ArgumentException>(() => WireCodec.Encode(message));

    public static TheoryData<DeviceCommand> InvalidCommands() => new()
    {
        new LightBulbToggle(""),
        new LightBulbToggle("c/1"),
        new LightBulbSet("c-1", null, null, null),          // nothing to set
        new LightBulbSet("c-1", null, null, 2000),
        new SousVideSet("p-1", null, null),
        new SousVideSet("p-1", null, 56.25m),               // off the 0.1 step
        new StartProgram("p-1", 56.5m, 259_201),
    };

    [Theory]
    [MemberData(nameof(InvalidCommands))]
    public void Encoder_refuses_a_command_the_device_would_reject(DeviceCommand command) =>
        Assert.ThrowsAny<ArgumentException>(() => WireCodec.Encode(command));

    [Fact]
    public void A_command_rejected_after_its_id_was_read_keeps_the_id_for_the_ack()
    {
        var unknown = DecodeCommand(DeviceType.LightBulb, """{"id":"c-1","cmd":"explode"}""");
        var badId = DecodeCommand(DeviceType.LightBulb, """{"id":"c 1","cmd":"toggle"}""");
        var badJson = DecodeCommand(DeviceType.LightBulb, """{"id":"c-1","cmd":"toggle",}""");

        Assert.Equal(("unknown_cmd", "c-1"), (unknown.Error?.CodeName, unknown.CommandId));
        Assert.Equal(("bad_id", null), (badId.Error?.CodeName, badId.CommandId));
        Assert.Equal(("bad_json", null), (badJson.Error?.CodeName, badJson.CommandId));
    }

    // The firmware tokenizes in one pass, so whichever of token overflow and a syntax error comes first decides the code.
    [Theory]
    [InlineData("""{"id":"c-1","cmd":"set","power":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,x]}""", "too_large", null)]
    [InlineData("""{"id":"c-1","cmd":"set","power":[1,1,x,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}""", "bad_json", null)]
    // Four levels of nesting are allowed (the power array is the fourth), five are not.
    [InlineData("""{"id":"c-1","cmd":"set","power":[[[1]]]}""", "bad_type", "power")]
    [InlineData("""{"id":"c-1","cmd":"set","power":[[[[1]]]]}""", "bad_json", null)]
    // An unknown key is reported as the firmware reports it: only its [A-Za-z0-9_] characters as written.
    [InlineData("""{"id":"c-1","cmd":"set","dim-level!":1}""", "unknown_field", "dimlevel")]
    // Field rules of the named command come after every field and the missing ones.
    [InlineData("""{"id":"c-1","cmd":"toggle","power":true,"brightnessPct":500}""", "out_of_range", "brightnessPct")]
    [InlineData("""{"id":"c-1","cmd":"toggle","colorTempK":3000,"power":true}""", "unknown_field", "power")]
    public void Light_bulb_command_edge_cases(string payload, string error, string? field)
    {
        var result = DecodeCommand(DeviceType.LightBulb, payload);

        Assert.Equal((error, field), (result.Error?.CodeName, result.Error?.Field));
    }

    [Theory]
    [InlineData("""{"id":"p-1","cmd":"startProgram","heater":true}""", "missing_field", "targetTempC")]
    [InlineData("""{"id":"p-1","cmd":"stopProgram","durationS":60,"heater":true}""", "unknown_field", "heater")]
    [InlineData("""{"id":"p-1","cmd":"set","targetTempC":56.5e0}""", "bad_type", "targetTempC")]
    [InlineData("""{"id":"p-1","cmd":"set","targetTempC":1234567890123.0}""", "out_of_range", "targetTempC")]
    public void Sous_vide_command_edge_cases(string payload, string error, string? field)
    {
        var result = DecodeCommand(DeviceType.SousVide, payload);

        Assert.Equal((error, field), (result.Error?.CodeName, result.Error?.Field));
    }

    [Fact]
    public void Raw_bytes_that_are_not_ASCII_are_a_field_error_not_a_syntax_error()
    {
        // Like the firmware, the tokenizer takes bytes above 0x7F as they are, even when they are not UTF-8.
        byte[] payload = [.. """{"boot":1,"seq":1,"id":"c-1","ok":false,"error":"bad_json","message":"a"""u8, 0xFF, .. "\"}"u8];

        var result = WireCodec.DecodeReport(DeviceType.LightBulb, MessageKind.Ack, payload);

        Assert.Equal(new WireError(WireErrorCode.OutOfRange, "message"), result.Error);
    }

    [Fact]
    public void Error_codes_have_their_wire_names_both_ways()
    {
        foreach (var code in Enum.GetValues<WireErrorCode>())
        {
            Assert.True(WireNames.TryParseErrorCode(WireNames.Of(code), out var parsed));
            Assert.Equal(code, parsed);
        }
        Assert.Equal("out_of_range", new WireError(WireErrorCode.OutOfRange, "seq").CodeName);
        Assert.False(WireNames.TryParseErrorCode("on_fire", out _));
    }

    [Fact]
    public void Topic_round_trips_through_its_string()
    {
        var topic = new DeviceTopic(DeviceType.SousVide, "Kitchen_2", MessageKind.Presence);

        Assert.Equal("dapriot/sousvide/Kitchen_2/presence", topic.ToString());
        Assert.True(DeviceTopic.TryParse(topic.ToString(), out var parsed));
        Assert.Equal(topic, parsed);
    }

    [Theory]
    [InlineData("bulb-1", true)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("", false)]
    [InlineData("bulb.1", false)]
    [InlineData("#", false)]
    public void Device_ids(string id, bool valid) => Assert.Equal(valid, DeviceTopic.IsValidDeviceId(id));

    private static DecodeResult<DeviceCommand> DecodeCommand(DeviceType type, string payload) =>
        WireCodec.DecodeCommand(type, Encoding.UTF8.GetBytes(payload));
}
