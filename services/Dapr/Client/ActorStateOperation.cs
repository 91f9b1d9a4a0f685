namespace DaprIoT.Dapr.Client;

/// <summary>One operation of an actor state transaction (<c>POST /v1.0/actors/{type}/{id}/state</c>).</summary>
public sealed record ActorStateOperation(string Operation, string Key, object? Value = null)
{
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public static ActorStateOperation Upsert(string key, object? value) => new(StateTransactionOperation.UpsertOperation, key, value);

    public static ActorStateOperation Delete(string key) => new(StateTransactionOperation.DeleteOperation, key);
}
