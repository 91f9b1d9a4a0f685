using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;

namespace DaprIoT.LocalRuntime.State;

/// <summary>Opens the state store a <c>state.*</c> component describes.</summary>
public static class StateStoreFactory
{
    public static Task<IStateStore> OpenAsync(ComponentSpec component, TimeProvider clock, CancellationToken cancellationToken) =>
        component.Type switch
        {
            "state.in-memory" => Task.FromResult<IStateStore>(new InMemoryStateStore(component.Name, clock)),
            _ => throw new ConfigurationException(component.SourceFile, $"component '{component.Name}' spec.type",
                $"'{component.Type}' is not a state store the local runtime provides (state.redis, state.in-memory)"),
        };

    /// <summary>Whether the component is the actor state store (<c>actorStateStore: "true"</c>).</summary>
    public static bool IsActorStateStore(ComponentSpec component) => component.GetBool("actorStateStore", false);
}
