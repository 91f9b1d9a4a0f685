namespace DaprIoT.Dapr.Client;

/// <summary>One item of a bulk save; <see cref="Value"/> is serialized as JSON with the client's serializer settings.</summary>
public sealed record SaveStateItem(string Key, object? Value)
{
    public string? ETag { get; init; }

    public StateOptions? Options { get; init; }

    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
