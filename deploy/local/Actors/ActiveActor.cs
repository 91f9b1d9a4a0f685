namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// One activation of an actor in the sidecar that hosts it: its turn lock, its idle deadline and its timers.
/// A deactivated instance is never reused; the next call creates a new activation.
/// </summary>
internal sealed class ActiveActor(string actorType, string actorId, ActorTypeSettings settings, DateTimeOffset now)
{
    private int _pending;

    public string ActorType { get; } = actorType;
    public string ActorId { get; } = actorId;
    public string Key { get; } = ActorCall.ActorKey(actorType, actorId);
    public ActorTypeSettings Settings { get; } = settings;
    public TurnLock Turn { get; } = new();

    /// <summary>Set under the turn lock when the activation ends; calls waiting for the turn then go elsewhere.</summary>
    public volatile bool Deactivated;

    /// <summary>When the last turn ended (or the activation began), in ticks of the runtime clock's UTC time.</summary>
    public long LastUsedTicks = now.UtcTicks;

    /// <summary>Timers by name; guarded by locking the dictionary.</summary>
    public Dictionary<string, ActorTimer> Timers { get; } = new(StringComparer.Ordinal);

    public DeadlineTimer? IdleTimer { get; set; }

    /// <summary>Calls waiting for or holding the turn; an idle actor has none.</summary>
    public int Pending => Volatile.Read(ref _pending);

    public void AddPending() => Interlocked.Increment(ref _pending);

    public void RemovePending() => Interlocked.Decrement(ref _pending);

    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref LastUsedTicks, now.UtcTicks);

    public bool IsIdle(DateTimeOffset now) =>
        Pending == 0 && now.UtcTicks - Interlocked.Read(ref LastUsedTicks) >= Settings.IdleTimeout.Ticks;

    /// <summary>Stops the idle deadline and every timer of this activation (timers do not outlive it, as in daprd).</summary>
    public void StopTimers()
    {
        IdleTimer?.Dispose();
        lock (Timers)
        {
            foreach (var timer in Timers.Values) timer.Dispose();
            Timers.Clear();
        }
    }
}
