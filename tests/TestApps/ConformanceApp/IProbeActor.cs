using Dapr.Actors;

namespace DaprIoT.ConformanceApp;

/// <summary>
/// The actor type the conformance suite calls (type name <c>Probe</c>): turn order, persisted state, activations,
/// reminders and timers. The SDK dispatches only methods of an <see cref="IActor"/> interface.
/// </summary>
public interface IProbeActor : IActor
{
    /// <summary>Fails loudly if another call is already inside this actor; otherwise holds the turn for delayMs and returns the calls seen so far.</summary>
    Task<int> Enter(EnterCall call);

    Task<IReadOnlyList<string>> GetCallOrder();

    /// <summary>Reads, increments and saves a counter in the actor's state in one turn.</summary>
    Task<int> Count();

    /// <summary>How often this id was activated in this process.</summary>
    Task<int> GetActivations();

    Task ScheduleReminder(ScheduleCall call);

    Task CancelReminder(NameCall call);

    Task<List<Firing>> GetReminderFirings();

    Task ScheduleTimer(ScheduleCall call);

    Task CancelTimer(NameCall call);

    Task<List<Firing>> GetTimerFirings();
}
