using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>Gives every sidecar its bindings: the output binding API and the input bindings that deliver to its app.</summary>
public sealed class BindingsFeatureFactory : ISidecarFeatureFactory
{
    public ISidecarFeature Create(SidecarContext sidecar) => new BindingsFeature(sidecar);
}
