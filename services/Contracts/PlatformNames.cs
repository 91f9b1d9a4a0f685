namespace DaprIoT.Contracts;

/// <summary>Dapr app ids, as in <c>dapr.yaml</c> and the Kubernetes annotations.</summary>
public static class AppIds
{
    public const string LightBulb = "lightbulb";
    public const string SousVide = "sousvide";
    public const string DeviceManagement = "device-management";
    public const string Statistics = "statistics";
    public const string Auth = "auth";
    public const string Frontend = "frontend";
}

/// <summary>Dapr actor types; an actor id is the device id.</summary>
public static class ActorTypes
{
    public const string LightBulb = "LightBulb";
    public const string SousVide = "SousVide";
}

/// <summary>Dapr component names every service shares (the YAML in <c>components/</c> declares them).</summary>
public static class ComponentNames
{
    public const string PubSub = "pubsub";
    public const string StateStore = "statestore";
}

/// <summary>Pub/sub topics on <see cref="ComponentNames.PubSub"/>.</summary>
public static class Topics
{
    /// <summary><see cref="Events.DeviceEvent"/>: a twin changed (reported, desired, presence, command, program, added, removed).</summary>
    public const string DeviceEvents = "device-events";

    /// <summary><see cref="Events.TelemetryReading"/>: device measurements, published and consumed in batches.</summary>
    public const string Telemetry = "telemetry";
}
