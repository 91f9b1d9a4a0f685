namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// One call into an actor, as the hosting sidecar sends it to its app: <c>PUT /actors/{type}/{id}/method/{Method}</c>,
/// where <see cref="Method"/> is the actor method, <c>remind/{name}</c> or <c>timer/{name}</c>.
/// <see cref="Headers"/> are the caller's headers to pass on; <see cref="ReentrancyId"/> the caller's <c>Dapr-Reentrancy-Id</c>.
/// </summary>
internal sealed record ActorCall(
    string ActorType,
    string ActorId,
    string Method,
    byte[] Body,
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string QueryString,
    string? ReentrancyId)
{
    public string Key => ActorKey(ActorType, ActorId);

    public static string ActorKey(string actorType, string actorId) => $"{actorType}||{actorId}";
}
