namespace DaprIoT.Contracts.Wire;

/// <summary>
/// A device → platform message. <c>(Boot, Seq)</c> orders one device's messages: compare Boot first,
/// then Seq. Both are 1..2³²−1, except the presence last will, which has Seq 0.
/// </summary>
public abstract record DeviceMessage(uint Boot, uint Seq);

/// <param name="BrightnessPct">0–100.</param>
/// <param name="ColorTempK">2700–6500.</param>
public sealed record LightBulbState(uint Boot, uint Seq, bool Power, int BrightnessPct, int ColorTempK)
    : DeviceMessage(Boot, Seq);

/// <param name="UptimeS">Seconds since this boot.</param>
/// <param name="PowerMw">Electrical power, 0–100000 mW.</param>
public sealed record LightBulbTelemetry(uint Boot, uint Seq, uint UptimeS, int PowerMw) : DeviceMessage(Boot, Seq);

public enum ProgramPhase
{
    Preheat,
    Cooking,
    Done,
}

/// <param name="DurationS">Cooking time at target, 1–259200 s.</param>
/// <param name="ElapsedS">Time held at target so far, 0–259200 s.</param>
public sealed record SousVideProgram(int DurationS, int ElapsedS, ProgramPhase Phase);

/// <param name="Heater">Regulating towards the target.</param>
/// <param name="TargetTempC">20.0–95.0 °C in 0.1 steps.</param>
/// <param name="WaterTempC">−20.0–120.0 °C in 0.1 steps.</param>
/// <param name="Program">Present while a program exists.</param>
public sealed record SousVideState(
    uint Boot, uint Seq, bool Heater, decimal TargetTempC, decimal WaterTempC, SousVideProgram? Program)
    : DeviceMessage(Boot, Seq);

/// <param name="WaterTempC">−20.0–120.0 °C in 0.1 steps.</param>
/// <param name="Heating">The heating element is energised right now.</param>
public sealed record SousVideTelemetry(uint Boot, uint Seq, uint UptimeS, decimal WaterTempC, bool Heating)
    : DeviceMessage(Boot, Seq);

/// <summary>The device's answer to one command.</summary>
/// <param name="Id">The command's id; null only when it could not be read (too_large, bad_json, bad_id).</param>
/// <param name="Error">When <paramref name="Ok"/> is false: the error code, e.g. <c>out_of_range</c> (see <see cref="WireNames.Of(WireErrorCode)"/>).</param>
/// <param name="Message">Optional, only with an error: printable ASCII, at most 80 characters, for people.</param>
public sealed record DeviceAck(uint Boot, uint Seq, string? Id, bool Ok, string? Error, string? Message)
    : DeviceMessage(Boot, Seq);

public enum PresenceStatus
{
    Online,
    Offline,
}

/// <param name="HeartbeatS">Online only: 1–3600; 3 × HeartbeatS of silence means the device is gone.</param>
/// <param name="Fw">Online only: firmware version, <c>[A-Za-z0-9._:-]{1,16}</c>.</param>
public sealed record DevicePresence(uint Boot, uint Seq, PresenceStatus Status, int? HeartbeatS, string? Fw)
    : DeviceMessage(Boot, Seq);
