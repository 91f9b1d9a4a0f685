using Dapr.Actors;

namespace DaprIoT.Contracts.Devices;

/// <summary>
/// What every device actor does, whatever its type. One actor per device owns its twin; the actor id is the device
/// id. Every method takes at most one argument, so it can be called through an actor proxy or with plain JSON
/// through the sidecar (<c>PUT /v1.0/actors/{type}/{id}/method/{name}</c>).
/// </summary>
public interface IDeviceActor : IActor
{
    /// <summary>
    /// Registers the device for <paramref name="request"/>'s owner and creates its broker credentials. The password
    /// is in the answer and nowhere else: it cannot be read again, only replaced by provisioning again (by the same
    /// owner; a device of another owner is refused).
    /// </summary>
    Task<ProvisionResult> Provision(ProvisionRequest request);

    /// <summary>
    /// Forgets the device: deletes its credentials (which disconnects it), its twin and its schedules. Only the twin's
    /// version is kept, so events of a device provisioned again under the id come after the removal's.
    /// </summary>
    Task Remove();

    /// <summary>Gives the device another display name.</summary>
    Task<OperationResult> Rename(RenameRequest request);

    /// <summary>The twin as it is now; <see cref="DeviceTwinView.Provisioned"/> is false for an unknown device.</summary>
    Task<DeviceTwinView> GetTwin();

    /// <summary>
    /// <c>state</c>, <c>ack</c> and <c>presence</c> messages from the device, as the MQTT input bindings received them
    /// (usually one; a state and its ack together), applied in the order given in one turn: one event, one save. The
    /// results are in the same order.
    /// </summary>
    Task<IngestResult[]> Ingest(DeviceReport[] reports);

    /// <summary>The device was heard from (its telemetry, which does not go through the actor, is its heartbeat).</summary>
    Task<IngestResult> Heartbeat(DeviceHeartbeat heartbeat);
}

/// <summary>The light bulb actor (<see cref="ActorTypes.LightBulb"/>, app <see cref="AppIds.LightBulb"/>).</summary>
public interface ILightBulbActor : IDeviceActor
{
    /// <summary>Asks the bulb for new values; only the properties that are set change.</summary>
    Task<CommandResult> SetDesired(LightBulbDesired patch);
}

/// <summary>The sous-vide cooker actor (<see cref="ActorTypes.SousVide"/>, app <see cref="AppIds.SousVide"/>).</summary>
public interface ISousVideActor : IDeviceActor
{
    /// <summary>Asks the cooker for a heater state or target temperature; setting the heater ends a program.</summary>
    Task<CommandResult> SetDesired(SousVideDesired patch);

    /// <summary>Heats to the target, holds it for the duration, then turns the heater off, even if the cooker goes silent.</summary>
    Task<CommandResult> StartProgram(StartProgramRequest request);

    /// <summary>Ends the running program and turns the heater off.</summary>
    Task<CommandResult> StopProgram();
}
