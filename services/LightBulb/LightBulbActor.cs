using System.Text.Json;
using Dapr.Actors.Runtime;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceTwins.Actors;

namespace DaprIoT.LightBulb;

/// <summary>One light bulb's twin (actor type <see cref="ActorTypes.LightBulb"/>); the shared rules are in <see cref="DeviceActor"/>.</summary>
public sealed class LightBulbActor(ActorHost host, LightBulbModel model, DeviceActorServices services)
    : DeviceActor(host, model, services), ILightBulbActor
{
    public Task<CommandResult> SetDesired(LightBulbDesired patch) => SetDesiredAsync(
    [
        new(LightBulbModel.Power, patch.Power is { } power ? JsonSerializer.SerializeToElement(power) : null),
        new(LightBulbModel.BrightnessPct, patch.BrightnessPct is { } brightness ? JsonSerializer.SerializeToElement(brightness) : null),
        new(LightBulbModel.ColorTempK, patch.ColorTempK is { } colorTemp ? JsonSerializer.SerializeToElement(colorTemp) : null),
    ]);
}
