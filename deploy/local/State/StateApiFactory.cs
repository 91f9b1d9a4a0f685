using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.State;

/// <summary>Gives each sidecar its state API (<see cref="StateApi"/>).</summary>
public sealed class StateApiFactory : ISidecarFeatureFactory
{
    public ISidecarFeature Create(SidecarContext sidecar) => new StateApi(sidecar);
}
