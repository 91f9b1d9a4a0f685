namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// A volatile actor timer (<c>POST /v1.0/actors/{type}/{id}/timers/{name}</c>): lives in the hosting sidecar's
/// memory for as long as the activation, fires <c>PUT /actors/{type}/{id}/method/timer/{name}</c>.
/// </summary>
internal sealed class ActorTimer(string name, string callback, string? data, string dueTime, string period) : IDisposable
{
    public string Name { get; } = name;

    /// <summary>The callback body: <c>{"callback","data","dueTime","period"}</c>, the registered values as daprd sends them.</summary>
    public byte[] Body { get; } = ActorCallbackBodies.Timer(callback, data, dueTime, period);

    public required ActorSchedule Schedule { get; set; }

    public DeadlineTimer? Clock { get; set; }

    public void Dispose() => Clock?.Dispose();
}
