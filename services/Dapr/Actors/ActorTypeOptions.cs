namespace DaprIoT.Dapr.Actors;

/// <summary>Per-type overrides, sent in <c>entitiesConfig</c> of <c>/dapr/config</c>.</summary>
public sealed class ActorTypeOptions
{
    public TimeSpan? ActorIdleTimeout { get; set; }

    public TimeSpan? DrainOngoingCallTimeout { get; set; }
}
