using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;

namespace DaprIoT.LocalRuntime.State;

/// <summary>Opens the state store a <c>state.*</c> component describes.</summary>
public static class StateStoreFactory
{
    public static async Task<IStateStore> OpenAsync(ComponentSpec component, TimeProvider clock, CancellationToken cancellationToken) =>
        component.Type switch
        {
            "state.in-memory" => new InMemoryStateStore(component.Name, clock),
            "state.redis" => await RedisStateStore.OpenAsync(component, clock, cancellationToken),
            _ => throw new ConfigurationException(component.SourceFile, $"component '{component.Name}' spec.type",
                $"'{component.Type}' is not a state store the local runtime provides (state.redis, state.in-memory)"),
        };

    /// <summary>Whether the component is the actor state store (<c>actorStateStore: "true"</c>).</summary>
    public static bool IsActorStateStore(ComponentSpec component) => component.GetBool("actorStateStore", false);

    /// <summary>
    /// The <c>capabilities</c> <c>GET /v1.0/metadata</c> lists for a state component, as daprd names them. Both
    /// stores do ETags, transactions and TTLs; <c>ACTOR</c> marks the actor state store. No query API.
    /// </summary>
    public static IReadOnlyList<string> Capabilities(ComponentSpec component) =>
        IsActorStateStore(component) ? ["ETAG", "TRANSACTIONAL", "TTL", "ACTOR"] : ["ETAG", "TRANSACTIONAL", "TTL"];
}
