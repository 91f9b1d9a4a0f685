namespace DaprIoT.Contracts.Devices;

/// <summary>The user who owns the device and the name they gave it.</summary>
public sealed record ProvisionRequest(string Owner, string Name);

/// <summary>
/// The device's MQTT login: client id and username are both the device id. <see cref="Password"/> is shown once.
/// </summary>
public sealed record ProvisionResult(bool Ok, string DeviceId, string? Username, string? Password, IReadOnlyList<FieldError> Errors);

public sealed record RenameRequest(string Name);

/// <summary>A field of a request that was refused, and why, in words for people.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>Accepted, or refused with the fields at fault.</summary>
public sealed record OperationResult(bool Ok, IReadOnlyList<FieldError> Errors)
{
    public static OperationResult Success { get; } = new(true, []);
}

/// <summary>
/// An accepted command (its id follows it to the device and back in its ack) or the reasons it was refused.
/// </summary>
public sealed record CommandResult(bool Ok, string? CommandId, IReadOnlyList<FieldError> Errors);

/// <summary>New values for a light bulb; null leaves a property as it is.</summary>
public sealed record LightBulbDesired(bool? Power = null, int? BrightnessPct = null, int? ColorTempK = null);

/// <summary>New values for a cooker; null leaves a property as it is. Temperatures in °C, 0.1 steps.</summary>
public sealed record SousVideDesired(bool? Heater = null, decimal? TargetTempC = null);

/// <summary>A cooking program: heat to <paramref name="TargetTempC"/>, then hold it for <paramref name="DurationS"/> seconds.</summary>
public sealed record StartProgramRequest(decimal TargetTempC, int DurationS);

/// <summary>
/// A device message as the binding received it: its kind (<c>state</c>, <c>ack</c>, <c>presence</c>), the payload
/// exactly as sent (UTF-8 JSON), and when the platform received it (server clock).
/// </summary>
public sealed record DeviceReport(Wire.MessageKind Kind, string Payload, DateTimeOffset ReceivedAt);

/// <summary>The device's latest telemetry <c>(boot, seq)</c>, when the platform received it.</summary>
public sealed record DeviceHeartbeat(uint Boot, uint Seq, DateTimeOffset ReceivedAt);

/// <summary>What an actor did with a device message.</summary>
public enum IngestOutcome
{
    /// <summary>Applied to the twin.</summary>
    Applied,
    /// <summary>Already applied, or older than what was applied: ignored.</summary>
    Duplicate,
    /// <summary>Refused: invalid, or from a device that is not provisioned.</summary>
    Rejected,
}

public sealed record IngestResult(IngestOutcome Outcome, string? Reason = null);
