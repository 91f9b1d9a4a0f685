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

/// <summary>Headers the edge (app <see cref="AppIds.Frontend"/>) sets on the browser requests it forwards.</summary>
public static class EdgeHeaders
{
    /// <summary>
    /// The browser's address as the edge saw it. Dapr service invocation replaces <c>X-Forwarded-For</c> with the
    /// calling app's address, so the edge passes the browser's on in this header, always replacing any value the
    /// browser sent. A service believes it only on calls whose caller is the frontend (<c>dapr-caller-app-id</c>,
    /// which the sidecar sets and no caller can forge).
    /// </summary>
    public const string ClientAddress = "X-Client-Address";

    /// <summary>The calling app's id, set by the callee's sidecar on every service invocation.</summary>
    public const string CallerAppId = "dapr-caller-app-id";
}
