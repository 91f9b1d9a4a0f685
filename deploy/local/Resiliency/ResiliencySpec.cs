namespace DaprIoT.LocalRuntime.Resiliency;

/// <summary>
/// The policies that apply to one direction of one target (<c>inbound</c>/<c>outbound</c> of a component, an app, an
/// actor type). <paramref name="Breaker"/> is the target's own circuit breaker, shared by every call to it.
/// </summary>
public sealed record TargetPolicies(RetryPolicy? Retry, TimeSpan? Timeout, CircuitBreaker? Breaker = null);

/// <summary>
/// The Resiliency resources visible to one app, merged. Lookups return null where no policy is
/// configured, so callers fall back to daprd's built-in behaviour.
/// </summary>
public sealed record ResiliencySpec(
    IReadOnlyDictionary<string, TargetPolicies> ComponentInbound,
    IReadOnlyDictionary<string, TargetPolicies> ComponentOutbound,
    IReadOnlyDictionary<string, TargetPolicies> Apps,
    IReadOnlyDictionary<string, TargetPolicies> Actors)
{
    public static ResiliencySpec Empty { get; } = new(
        new Dictionary<string, TargetPolicies>(), new Dictionary<string, TargetPolicies>(),
        new Dictionary<string, TargetPolicies>(), new Dictionary<string, TargetPolicies>());

    public TargetPolicies? ForComponentInbound(string component) => ComponentInbound.GetValueOrDefault(component);
    public TargetPolicies? ForComponentOutbound(string component) => ComponentOutbound.GetValueOrDefault(component);
    public TargetPolicies? ForApp(string appId) => Apps.GetValueOrDefault(appId);
    public TargetPolicies? ForActorType(string actorType) => Actors.GetValueOrDefault(actorType);
}
