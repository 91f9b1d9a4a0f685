using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>Gives each sidecar its <see cref="ActorsFeature"/>, all sharing the runtime's one <see cref="ActorPlacement"/>.</summary>
internal sealed class ActorsFeatureFactory(ActorPlacement placement, TimeProvider clock) : ISidecarFeatureFactory
{
    public ISidecarFeature Create(SidecarContext sidecar) => new ActorsFeature(sidecar, placement, clock);
}
