using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>Gives every sidecar its own pub/sub block (its own broker connections and consumer ids).</summary>
public sealed class PubSubFeatureFactory(TimeProvider clock) : ISidecarFeatureFactory
{
    public ISidecarFeature Create(SidecarContext sidecar) => new PubSubFeature(sidecar, clock);
}
