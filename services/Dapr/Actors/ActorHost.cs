using DaprIoT.Dapr.Client;

namespace DaprIoT.Dapr.Actors;

/// <summary>What the runtime gives an actor instance when it activates it.</summary>
internal sealed record ActorHost(string Type, string Id, ActorStateManager StateManager, DaprSidecarClient Sidecar);
