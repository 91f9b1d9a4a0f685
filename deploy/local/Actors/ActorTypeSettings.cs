namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// The runtime settings of one hosted actor type, from the app's <c>/dapr/config</c> (top level, overridden
/// per type by <c>entitiesConfig</c>). Defaults are daprd's.
/// </summary>
internal sealed record ActorTypeSettings(
    TimeSpan IdleTimeout,
    TimeSpan DrainOngoingCallTimeout,
    bool DrainRebalancedActors,
    bool ReentrancyEnabled,
    int MaxStackDepth)
{
    public static ActorTypeSettings Default { get; } = new(
        IdleTimeout: TimeSpan.FromMinutes(60),
        DrainOngoingCallTimeout: TimeSpan.FromSeconds(60),
        DrainRebalancedActors: true,
        ReentrancyEnabled: false,
        MaxStackDepth: 32);
}
