using System.Text.Json;
using DaprIoT.Dapr.Client;

namespace DaprIoT.Dapr.Actors;

/// <summary>
/// Base class of a hosted actor. The runtime creates one instance per actor id on first use (constructor services come
/// from DI), calls <see cref="OnActivateAsync"/>, then runs one call at a time. Public methods returning
/// <see cref="Task"/> or <see cref="Task{TResult}"/> with zero or one JSON argument are callable by name.
/// State changed through <see cref="StateManager"/> is saved at the end of every successful call.
/// </summary>
public abstract class Actor
{
    private ActorHost? _host;

    public string Id => Host.Id;

    public string Type => Host.Type;

    public ActorStateManager StateManager => Host.StateManager;

    protected DaprSidecarClient Sidecar => Host.Sidecar;

    private ActorHost Host => _host ?? throw new InvalidOperationException(
        $"{GetType().Name} is used before the actor runtime activated it. Actors are created by the runtime (AddActors/MapActorsHandlers), not with new.");

    internal void Attach(ActorHost host) => _host = host;

    internal Task ActivateAsync() => OnActivateAsync();

    internal Task DeactivateAsync() => OnDeactivateAsync();

    /// <summary>Runs once per activation, before the first call; state changes made here are saved.</summary>
    protected virtual Task OnActivateAsync() => Task.CompletedTask;

    /// <summary>Runs when the sidecar deactivates this actor (idle, rebalancing). Unsaved state changes are discarded.</summary>
    protected virtual Task OnDeactivateAsync() => Task.CompletedTask;

    /// <summary>Registers a durable reminder; the actor must implement <see cref="IRemindable"/> to receive it.</summary>
    protected Task RegisterReminderAsync(string reminderName, object? data, TimeSpan dueTime, TimeSpan? period = null, TimeSpan? ttl = null,
        CancellationToken cancellationToken = default) =>
        Sidecar.RegisterActorReminderAsync(Type, Id, reminderName, ActorReminderRequest.Create(dueTime, period, ToJson(data), ttl), cancellationToken);

    protected Task<ActorReminder?> GetReminderAsync(string reminderName, CancellationToken cancellationToken = default) =>
        Sidecar.GetActorReminderAsync(Type, Id, reminderName, cancellationToken);

    protected Task UnregisterReminderAsync(string reminderName, CancellationToken cancellationToken = default) =>
        Sidecar.UnregisterActorReminderAsync(Type, Id, reminderName, cancellationToken);

    /// <summary>
    /// Registers a volatile timer that calls method <paramref name="callback"/> (any accessibility, zero or one JSON
    /// argument) with <paramref name="data"/>. Timers end with the activation; re-register them in <see cref="OnActivateAsync"/>.
    /// </summary>
    protected Task RegisterTimerAsync(string timerName, string callback, object? data, TimeSpan dueTime, TimeSpan? period = null, TimeSpan? ttl = null,
        CancellationToken cancellationToken = default) =>
        Sidecar.RegisterActorTimerAsync(Type, Id, timerName, ActorTimerRequest.Create(callback, dueTime, period, ToJson(data), ttl), cancellationToken);

    protected Task UnregisterTimerAsync(string timerName, CancellationToken cancellationToken = default) =>
        Sidecar.UnregisterActorTimerAsync(Type, Id, timerName, cancellationToken);

    private JsonElement? ToJson(object? data) =>
        data is null ? null : JsonSerializer.SerializeToElement(data, data.GetType(), Sidecar.JsonSerializerOptions);
}
