namespace DaprIoT.Contracts.Wire;

/// <summary>The protocol's error codes, in the order of its error table.</summary>
public enum WireErrorCode
{
    TooLarge,
    BadJson,
    BadId,
    UnknownCmd,
    MissingField,
    UnknownField,
    BadType,
    OutOfRange,
    BadTopic,
}

/// <summary>
/// Why a payload was rejected: the first failure in the protocol's check order, and the field it is
/// about (null when the payload as a whole is at fault). For an unknown field, <see cref="Field"/>
/// is the key reduced to <c>[A-Za-z0-9_]</c>, as the firmware reports it, so it can go into an ack message.
/// </summary>
public sealed record WireError(WireErrorCode Code, string? Field)
{
    /// <summary>The wire name of <see cref="Code"/>, e.g. <c>out_of_range</c>.</summary>
    public string CodeName => WireNames.Of(Code);

    public override string ToString() => Field is null ? CodeName : $"{CodeName} ({Field})";
}
