namespace DaprIoT.Contracts.Wire;

/// <summary>
/// The device wire format (tests/contracts/PROTOCOL.md): a strict decoder that accepts and rejects
/// exactly what the firmware does (firmware/core/codec.c), with the same error code and field, and
/// a canonical encoder that writes the same bytes the firmware writes.
/// Decoding works on the payload bytes in place and reports invalid input through its result, never
/// by throwing; the only allocations of a successful decode are the message and its strings.
/// </summary>
public static class WireCodec
{
    /// <summary>Any payload, either direction, in bytes.</summary>
    public const int MaxPayloadBytes = 512;

    /// <summary>Tokens in a payload (every value and every key counts one).</summary>
    public const int MaxJsonTokens = 64;

    // Field indexes in the specs (MessageSpecs.cs), for the rules that span fields.
    private const int AckId = 2, AckOk = 3, AckError = 4, AckMessage = 5;
    private const int PresenceSeq = 1, PresenceStatusField = 2, PresenceHeartbeat = 3, PresenceFw = 4;
    private const int CommandIdField = 0, CommandName = 1;
    private const int BulbPower = 2, BulbBrightness = 3, BulbColorTemp = 4;
    private const int CookerHeater = 2, CookerTarget = 3, CookerDuration = 4;
    private const int CookerProgram = 5, ProgramDuration = 6, ProgramElapsed = 7, ProgramPhaseField = 8;

    /// <summary>Decodes a device → platform message; the topic's type and kind say which one.</summary>
    public static DecodeResult<DeviceMessage> DecodeReport(DeviceType type, MessageKind kind, ReadOnlySpan<byte> payload)
    {
        if (kind == MessageKind.Cmd)
            throw new ArgumentException($"commands are decoded by {nameof(DecodeCommand)}", nameof(kind));
        var spec = Specs.For(type, kind);
        Span<JsonToken> tokens = stackalloc JsonToken[MaxJsonTokens];
        if (Tokenize(payload, tokens) is { } syntaxError)
            return DecodeResult<DeviceMessage>.Failure(syntaxError);
        var buffer = new FieldValues();
        Span<FieldValue> values = buffer;
        var error = new FieldDecoder(payload, tokens).DecodeObject(spec, 0, values) ?? CheckRules(spec, values);
        return error is null
            ? DecodeResult<DeviceMessage>.Success(BuildMessage(type, kind, values))
            : DecodeResult<DeviceMessage>.Failure(error);
    }

    /// <summary>
    /// Decodes a platform → device command, checking in the protocol's order: size, syntax, id,
    /// command name, every field in document order, missing fields, then the named command's rules.
    /// </summary>
    public static DecodeResult<DeviceCommand> DecodeCommand(DeviceType type, ReadOnlySpan<byte> payload)
    {
        var spec = Specs.For(type, MessageKind.Cmd);
        Span<JsonToken> tokens = stackalloc JsonToken[MaxJsonTokens];
        if (Tokenize(payload, tokens) is { } syntaxError)
            return DecodeResult<DeviceCommand>.Failure(syntaxError);
        var buffer = new FieldValues();
        Span<FieldValue> values = buffer;
        var decoder = new FieldDecoder(payload, tokens);

        // The id comes first, so that every later error can be acked under it.
        int id = decoder.Find(0, "id");
        if (id < 0 || decoder.DecodeField(spec.Fields[CommandIdField], id, ref values[CommandIdField]) is not null)
            return DecodeResult<DeviceCommand>.Failure(new WireError(WireErrorCode.BadId, "id"));
        string commandId = values[CommandIdField].Text!;

        int name = decoder.Find(0, "cmd");
        if (name < 0)
            return DecodeResult<DeviceCommand>.Failure(new WireError(WireErrorCode.MissingField, "cmd"), commandId);
        if (decoder.DecodeField(spec.Fields[CommandName], name, ref values[CommandName]) is { } nameError)
        {
            // A name outside the list is not an out-of-range value but a command this device does not have.
            var code = nameError == WireErrorCode.OutOfRange ? WireErrorCode.UnknownCmd : nameError;
            return DecodeResult<DeviceCommand>.Failure(new WireError(code, "cmd"), commandId);
        }

        var error = decoder.DecodeObject(spec, 0, values) ?? CheckRules(spec, values);
        return error is null
            ? DecodeResult<DeviceCommand>.Success(BuildCommand(type, values))
            : DecodeResult<DeviceCommand>.Failure(error, commandId);
    }

    /// <summary>
    /// The canonical bytes of a message, as a device writes them.
    /// Throws <see cref="ArgumentException"/> for a message the protocol does not allow (a value out of
    /// range, a temperature off the 0.1 step, an ack without an error code, ...), so nothing is sent
    /// that the other side would reject.
    /// </summary>
    public static byte[] Encode(DeviceMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new FieldValues();
        Span<FieldValue> v = buffer;
        MessageSpec spec;
        switch (message)
        {
            case LightBulbState m:
                spec = Specs.LightBulbState;
                (v[0], v[1]) = (Of(m.Boot), Of(m.Seq));
                (v[2], v[3], v[4]) = (Of(m.Power), Of(m.BrightnessPct), Of(m.ColorTempK));
                break;
            case LightBulbTelemetry m:
                spec = Specs.LightBulbTelemetry;
                (v[0], v[1], v[2], v[3]) = (Of(m.Boot), Of(m.Seq), Of(m.UptimeS), Of(m.PowerMw));
                break;
            case SousVideState m:
                spec = Specs.SousVideState;
                (v[0], v[1]) = (Of(m.Boot), Of(m.Seq));
                (v[2], v[3], v[4]) = (Of(m.Heater), Of(m.TargetTempC), Of(m.WaterTempC));
                if (m.Program is { } p)
                {
                    v[CookerProgram].Present = true;
                    (v[ProgramDuration], v[ProgramElapsed], v[ProgramPhaseField]) = (Of(p.DurationS), Of(p.ElapsedS), Of((int)p.Phase));
                }
                break;
            case SousVideTelemetry m:
                spec = Specs.SousVideTelemetry;
                (v[0], v[1], v[2]) = (Of(m.Boot), Of(m.Seq), Of(m.UptimeS));
                (v[3], v[4]) = (Of(m.WaterTempC), Of(m.Heating));
                break;
            case DeviceAck m:
                spec = Specs.Ack;
                (v[0], v[1], v[AckId], v[AckOk]) = (Of(m.Boot), Of(m.Seq), Of(m.Id), Of(m.Ok));
                if (m.Error is not null)
                    v[AckError] = Of(Array.IndexOf(WireNames.ErrorCodeNames, m.Error));
                v[AckMessage] = Of(m.Message);
                break;
            case DevicePresence m:
                spec = Specs.Presence;
                (v[0], v[1], v[PresenceStatusField]) = (Of(m.Boot), Of(m.Seq), Of((int)m.Status));
                (v[PresenceHeartbeat], v[PresenceFw]) = (Optional(m.HeartbeatS), Of(m.Fw));
                break;
            default:
                throw new ArgumentException($"{message.GetType().Name} is not a message of the protocol", nameof(message));
        }
        return Write(spec, v, message, nameof(message));
    }

    /// <summary>
    /// The canonical bytes of a command. Throws <see cref="ArgumentException"/> for a command the
    /// device would reject (bad id, value out of range, a set with nothing to set, ...).
    /// </summary>
    public static byte[] Encode(DeviceCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var buffer = new FieldValues();
        Span<FieldValue> v = buffer;
        v[CommandIdField] = Of(command.Id);
        MessageSpec spec;
        string name;
        switch (command)
        {
            case LightBulbSet c:
                (spec, name) = (Specs.LightBulbCommand, "set");
                (v[BulbPower], v[BulbBrightness], v[BulbColorTemp]) = (Optional(c.Power), Optional(c.BrightnessPct), Optional(c.ColorTempK));
                break;
            case LightBulbToggle:
                (spec, name) = (Specs.LightBulbCommand, "toggle");
                break;
            // "report" means the same to both device types and is written the same way.
            case ReportCommand:
                (spec, name) = (Specs.LightBulbCommand, "report");
                break;
            case SousVideSet c:
                (spec, name) = (Specs.SousVideCommand, "set");
                (v[CookerHeater], v[CookerTarget]) = (Optional(c.Heater), Optional(c.TargetTempC));
                break;
            case StartProgram c:
                (spec, name) = (Specs.SousVideCommand, "startProgram");
                (v[CookerTarget], v[CookerDuration]) = (Of(c.TargetTempC), Of(c.DurationS));
                break;
            case StopProgram:
                (spec, name) = (Specs.SousVideCommand, "stopProgram");
                break;
            default:
                throw new ArgumentException($"{command.GetType().Name} is not a command of the protocol", nameof(command));
        }
        v[CommandName] = Of(Array.IndexOf(spec.Fields[CommandName].Names!, name));
        return Write(spec, v, command, nameof(command));
    }

    /// <summary>A command id: 1–40 characters of <c>A-Z a-z 0-9 . _ : -</c> (a UUID fits).</summary>
    public static bool IsValidCommandId(string? id) => FieldChecks.Check(Specs.CommandId, Of(id)) is null;

    private static WireError? Tokenize(ReadOnlySpan<byte> payload, Span<JsonToken> tokens)
    {
        if (payload.Length > MaxPayloadBytes)
            return new WireError(WireErrorCode.TooLarge, null);
        return JsonTokenizer.TryTokenize(payload, tokens, out var error) ? null : new WireError(error, null);
    }

    /// <summary>The rules that span fields, which the field lists cannot say.</summary>
    private static WireError? CheckRules(MessageSpec spec, ReadOnlySpan<FieldValue> v)
    {
        if (spec == Specs.Ack)
        {
            bool ok = v[AckOk].Number != 0;
            if (ok && v[AckError].Present)
                return Unknown(spec, AckError);
            if (ok && v[AckMessage].Present)
                return Unknown(spec, AckMessage);
            if (!ok && !v[AckError].Present)
                return Missing(spec, AckError);
            // Only an ack of a command whose id could not be read may leave the id out.
            bool idUnreadable = v[AckError].Present && v[AckError].Number <= (int)WireErrorCode.BadId;
            if (!v[AckId].Present && !idUnreadable)
                return Missing(spec, AckId);
        }
        else if (spec == Specs.Presence)
        {
            bool online = v[PresenceStatusField].Number == (int)PresenceStatus.Online;
            foreach (int f in (ReadOnlySpan<int>)[PresenceHeartbeat, PresenceFw])
            {
                if (online && !v[f].Present)
                    return Missing(spec, f);
                if (!online && v[f].Present)
                    return Unknown(spec, f);
            }
            // Seq 0 belongs to the last will, which is always offline.
            if (online && v[PresenceSeq].Number == 0)
                return new WireError(WireErrorCode.OutOfRange, spec.Fields[PresenceSeq].Name);
        }
        else if (spec == Specs.LightBulbCommand)
        {
            bool isSet = v[CommandName].Number == 0;
            int first = FirstPresent(v, BulbPower, BulbColorTemp);
            if (isSet && first < 0)
                return Missing(spec, BulbPower);
            if (!isSet && first >= 0)
                return Unknown(spec, first);
        }
        else if (spec == Specs.SousVideCommand)
        {
            string name = Specs.SousVideCommands[v[CommandName].Number];
            // A set needs at least one of its fields, a startProgram both of its own ...
            if (name == "set" && FirstPresent(v, CookerHeater, CookerTarget) < 0)
                return Missing(spec, CookerHeater);
            if (name == "startProgram")
            {
                foreach (int f in (ReadOnlySpan<int>)[CookerTarget, CookerDuration])
                {
                    if (!v[f].Present)
                        return Missing(spec, f);
                }
            }
            // ... and no command takes a field outside its own range of field indexes.
            (int from, int to) = name switch
            {
                "set" => (CookerHeater, CookerTarget),
                "startProgram" => (CookerTarget, CookerDuration),
                _ => (0, -1),
            };
            for (int f = CookerHeater; f <= CookerDuration; f++)
            {
                if (v[f].Present && (f < from || f > to))
                    return Unknown(spec, f);
            }
        }
        return null;
    }

    /// <summary>The first of fields from..to that is present, or -1.</summary>
    private static int FirstPresent(ReadOnlySpan<FieldValue> v, int from, int to)
    {
        for (int f = from; f <= to; f++)
        {
            if (v[f].Present)
                return f;
        }
        return -1;
    }

    private static WireError Missing(MessageSpec spec, int field) => new(WireErrorCode.MissingField, spec.Fields[field].Name);

    private static WireError Unknown(MessageSpec spec, int field) => new(WireErrorCode.UnknownField, spec.Fields[field].Name);

    private static DeviceMessage BuildMessage(DeviceType type, MessageKind kind, ReadOnlySpan<FieldValue> v) => (type, kind) switch
    {
        (_, MessageKind.Ack) => new DeviceAck(
            UInt(v[0]), UInt(v[1]), v[AckId].Text, v[AckOk].Number != 0,
            v[AckError].Present ? WireNames.ErrorCodeNames[v[AckError].Number] : null, v[AckMessage].Text),
        (_, MessageKind.Presence) => new DevicePresence(
            UInt(v[0]), UInt(v[1]), (PresenceStatus)v[PresenceStatusField].Number,
            v[PresenceHeartbeat].Present ? (int)v[PresenceHeartbeat].Number : null, v[PresenceFw].Text),
        (DeviceType.LightBulb, MessageKind.State) => new LightBulbState(
            UInt(v[0]), UInt(v[1]), v[2].Number != 0, (int)v[3].Number, (int)v[4].Number),
        (DeviceType.LightBulb, _) => new LightBulbTelemetry(UInt(v[0]), UInt(v[1]), UInt(v[2]), (int)v[3].Number),
        (DeviceType.SousVide, MessageKind.State) => new SousVideState(
            UInt(v[0]), UInt(v[1]), v[2].Number != 0, Temperature(v[3]), Temperature(v[4]),
            v[CookerProgram].Present
                ? new SousVideProgram((int)v[ProgramDuration].Number, (int)v[ProgramElapsed].Number, (ProgramPhase)v[ProgramPhaseField].Number)
                : null),
        _ => new SousVideTelemetry(UInt(v[0]), UInt(v[1]), UInt(v[2]), Temperature(v[3]), v[4].Number != 0),
    };

    private static DeviceCommand BuildCommand(DeviceType type, ReadOnlySpan<FieldValue> v)
    {
        string id = v[CommandIdField].Text!;
        if (type == DeviceType.LightBulb)
        {
            return Specs.LightBulbCommands[v[CommandName].Number] switch
            {
                "set" => new LightBulbSet(
                    id,
                    v[BulbPower].Present ? v[BulbPower].Number != 0 : null,
                    v[BulbBrightness].Present ? (int)v[BulbBrightness].Number : null,
                    v[BulbColorTemp].Present ? (int)v[BulbColorTemp].Number : null),
                "toggle" => new LightBulbToggle(id),
                _ => new ReportCommand(id),
            };
        }
        return Specs.SousVideCommands[v[CommandName].Number] switch
        {
            "set" => new SousVideSet(
                id,
                v[CookerHeater].Present ? v[CookerHeater].Number != 0 : null,
                v[CookerTarget].Present ? Temperature(v[CookerTarget]) : null),
            "startProgram" => new StartProgram(id, Temperature(v[CookerTarget]), (int)v[CookerDuration].Number),
            "stopProgram" => new StopProgram(id),
            _ => new ReportCommand(id),
        };
    }

    private static byte[] Write(MessageSpec spec, ReadOnlySpan<FieldValue> values, object source, string paramName)
    {
        if ((Validate(spec, values) ?? CheckRules(spec, values)) is { } error)
            throw new ArgumentException($"{source.GetType().Name} breaks the protocol: {error}", paramName);
        var writer = new CanonicalWriter(stackalloc byte[CanonicalWriter.Capacity]);
        writer.WriteObject(spec, values);
        return writer.Written.ToArray();
    }

    /// <summary>The checks the decoder makes on every field, for the fields of a message about to be encoded.</summary>
    private static WireError? Validate(MessageSpec spec, ReadOnlySpan<FieldValue> values)
    {
        for (int f = 0; f < spec.Fields.Length; f++)
        {
            var field = spec.Fields[f];
            if (!values[f].Present)
                continue;
            var error = field.Kind == FieldKind.Object
                ? Validate(field.Nested!, values[spec.Fields.Length..])
                : FieldChecks.Check(field, values[f]) is { } code ? new WireError(code, field.Name) : null;
            if (error is not null)
                return error;
        }
        return null;
    }

    private static uint UInt(in FieldValue value) => (uint)value.Number;

    /// <summary>Tenths as a decimal with one decimal place, so 600 is 60.0.</summary>
    private static decimal Temperature(in FieldValue value) =>
        new((int)Math.Abs(value.Number), 0, 0, value.Number < 0, 1);

    private static FieldValue Of(long number) => new() { Present = true, Number = number };

    private static FieldValue Of(bool flag) => Of(flag ? 1 : 0);

    private static FieldValue Of(string? text) => new() { Present = text is not null, Text = text };

    private static FieldValue Optional(int? number) => number is { } n ? Of(n) : default;

    private static FieldValue Optional(bool? flag) => flag is { } b ? Of(b) : default;

    private static FieldValue Optional(decimal? temperature) => temperature is { } t ? Of(t) : default;

    /// <summary>A temperature in tenths; one that is not a whole number of tenths cannot be written.</summary>
    private static FieldValue Of(decimal temperature)
    {
        decimal tenths = temperature * 10;
        if (tenths != decimal.Truncate(tenths) || Math.Abs(tenths) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperatures go in 0.1 °C steps");
        return Of((long)tenths);
    }
}
