using DaprIoT.LocalRuntime.Bindings.Mqtt;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Bindings;

public static class BindingsRegistration
{
    /// <summary>Adds the bindings building block (<c>bindings.mqtt3</c>) to the runtime.</summary>
    public static IServiceCollection AddBindings(this IServiceCollection services)
    {
        services.AddSingleton<MqttClientIdRegistry>();
        services.AddSingleton<ISidecarFeatureFactory, BindingsFeatureFactory>();
        return services;
    }
}
