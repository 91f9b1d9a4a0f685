namespace DaprIoT.Contracts.Wire;

/// <summary>The outcome of a decode: either <see cref="Value"/> or <see cref="Error"/>.</summary>
public readonly struct DecodeResult<T>
    where T : class
{
    private DecodeResult(T? value, WireError? error, string? commandId)
    {
        Value = value;
        Error = error;
        CommandId = commandId;
    }

    public bool Ok => Error is null;

    /// <summary>The message; null when decoding failed.</summary>
    public T? Value { get; }

    /// <summary>Why decoding failed; null on success.</summary>
    public WireError? Error { get; }

    /// <summary>
    /// For a command rejected after its id was read (any error but too_large, bad_json and bad_id):
    /// that id, so the rejection can be acked under it. Null otherwise.
    /// </summary>
    public string? CommandId { get; }

    internal static DecodeResult<T> Success(T value) => new(value, null, null);

    internal static DecodeResult<T> Failure(WireError error, string? commandId = null) => new(null, error, commandId);
}
