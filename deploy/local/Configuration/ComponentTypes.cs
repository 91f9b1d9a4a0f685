namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>
/// The component types (<c>spec.type</c>) this runtime can open. Loading any other type fails fast, naming the
/// file, instead of leaving the app to discover at runtime that its component does nothing.
/// </summary>
public static class ComponentTypes
{
    public static IReadOnlySet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "state.redis", "state.in-memory",
        "pubsub.redis", "pubsub.rabbitmq", "pubsub.in-memory",
        "bindings.mqtt3",
        "secretstores.local.env", "secretstores.local.file",
    };
}
