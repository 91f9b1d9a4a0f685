namespace DaprIoT.Dapr.Client;

/// <summary>One operation of a state transaction: an upsert or a delete.</summary>
public sealed record StateTransactionOperation(string Operation, string Key, object? Value = null)
{
    public const string UpsertOperation = "upsert";
    public const string DeleteOperation = "delete";

    public string? ETag { get; init; }

    public StateOptions? Options { get; init; }

    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public static StateTransactionOperation Upsert(string key, object? value, string? etag = null) => new(UpsertOperation, key, value) { ETag = etag };

    public static StateTransactionOperation Delete(string key, string? etag = null) => new(DeleteOperation, key) { ETag = etag };
}
