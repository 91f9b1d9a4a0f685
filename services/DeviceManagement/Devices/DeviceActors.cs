using Dapr.Actors;
using Dapr.Actors.Client;
using DaprIoT.Contracts.Devices;

namespace DaprIoT.DeviceManagement.Devices;

/// <summary>
/// Calls the device actors with plain JSON (<see cref="ActorProxy.InvokeMethodAsync{TRequest, TResponse}"/>), which
/// <see cref="IDeviceActor"/>'s one-argument methods allow, rather than through the SDK's typed remoting proxies. A
/// remoting proxy is made per actor, and each one builds its JSON serializers afresh from a copy of the options with
/// converters of its own, so every call paid for System.Text.Json's metadata again: in a profile of 100 commands/s,
/// a fifth of the caller's CPU, about 1 ms per command, on the command's way to the device. Plain calls share the
/// factory's options, whose metadata is built once. The method names come from the actor interfaces, so renaming a
/// method there breaks the build here.
/// </summary>
public sealed class DeviceActors(IActorProxyFactory actors)
{
    public Task<ProvisionResult> Provision(DeviceKind kind, string deviceId, ProvisionRequest request) =>
        Actor(kind, deviceId).InvokeMethodAsync<ProvisionRequest, ProvisionResult>(nameof(IDeviceActor.Provision), request);

    public Task Remove(DeviceKind kind, string deviceId) =>
        Actor(kind, deviceId).InvokeMethodAsync(nameof(IDeviceActor.Remove));

    public Task<OperationResult> Rename(DeviceKind kind, string deviceId, RenameRequest request) =>
        Actor(kind, deviceId).InvokeMethodAsync<RenameRequest, OperationResult>(nameof(IDeviceActor.Rename), request);

    public Task<DeviceTwinView> GetTwin(DeviceKind kind, string deviceId) =>
        Actor(kind, deviceId).InvokeMethodAsync<DeviceTwinView>(nameof(IDeviceActor.GetTwin));

    public Task<CommandResult> SetDesired(string deviceId, LightBulbDesired patch) =>
        Actor(DeviceKind.LightBulb, deviceId).InvokeMethodAsync<LightBulbDesired, CommandResult>(nameof(ILightBulbActor.SetDesired), patch);

    public Task<CommandResult> SetDesired(string deviceId, SousVideDesired patch) =>
        Actor(DeviceKind.SousVide, deviceId).InvokeMethodAsync<SousVideDesired, CommandResult>(nameof(ISousVideActor.SetDesired), patch);

    public Task<CommandResult> StartProgram(string deviceId, StartProgramRequest request) =>
        Actor(DeviceKind.SousVide, deviceId).InvokeMethodAsync<StartProgramRequest, CommandResult>(nameof(ISousVideActor.StartProgram), request);

    public Task<CommandResult> StopProgram(string deviceId) =>
        Actor(DeviceKind.SousVide, deviceId).InvokeMethodAsync<CommandResult>(nameof(ISousVideActor.StopProgram));

    private ActorProxy Actor(DeviceKind kind, string deviceId) => actors.Create(new ActorId(deviceId), kind.ActorType);
}
