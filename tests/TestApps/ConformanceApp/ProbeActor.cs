using System.Text.Json;
using DaprIoT.Dapr.Actors;

namespace DaprIoT.ConformanceApp;

/// <summary>The actor type the conformance suite calls: turn order, persisted state, activations, reminders and timers.</summary>
public sealed class ProbeActor(ProbeRegistry registry, ConformanceSettings settings) : Actor, IRemindable
{
    private const string CounterKey = "counter";
    private const string ReminderFiringsKey = "reminder-firings";
    private const string TimerFiringsKey = "timer-firings";

    /// <summary>Fails loudly if another call is already inside this actor; otherwise holds the turn for delayMs.</summary>
    public async Task<int> Enter(EnterCall call)
    {
        var alreadyInside = registry.Enter(Id, call.Label ?? "");
        try
        {
            if (alreadyInside > 0)
            {
                throw new InvalidOperationException($"Concurrent entry into Probe/{Id}: {alreadyInside} call(s) already inside. Turn-based concurrency is broken.");
            }

            await Task.Delay(Math.Max(0, call.DelayMs));
            return registry.CallOrder(Id).Count;
        }
        finally
        {
            registry.Leave(Id);
        }
    }

    public Task<IReadOnlyList<string>> GetCallOrder() => Task.FromResult(registry.CallOrder(Id));

    public async Task<int> Count()
    {
        var next = await StateManager.GetOrAddStateAsync(CounterKey, 0) + 1;
        await StateManager.SetStateAsync(CounterKey, next);
        return next;
    }

    public Task<int> GetActivations() => Task.FromResult(registry.Activations(Id));

    public Task ScheduleReminder(ScheduleCall call) =>
        RegisterReminderAsync(call.Name, new NameCall(call.Name), TimeSpan.FromMilliseconds(call.DueTimeMs), Period(call));

    public Task CancelReminder(NameCall call) => UnregisterReminderAsync(call.Name);

    public Task<List<Firing>> GetReminderFirings() => StateManager.GetOrAddStateAsync(ReminderFiringsKey, new List<Firing>());

    public Task ScheduleTimer(ScheduleCall call) =>
        RegisterTimerAsync(call.Name, nameof(OnTimer), new NameCall(call.Name), TimeSpan.FromMilliseconds(call.DueTimeMs), Period(call));

    public Task CancelTimer(NameCall call) => UnregisterTimerAsync(call.Name);

    public Task<List<Firing>> GetTimerFirings() => StateManager.GetOrAddStateAsync(TimerFiringsKey, new List<Firing>());

    public async Task ReceiveReminderAsync(string reminderName, JsonElement? data, string dueTime, string period) =>
        await AppendAsync(ReminderFiringsKey, reminderName);

    protected override Task OnActivateAsync()
    {
        registry.Activated(Id);
        return Task.CompletedTask;
    }

    private Task OnTimer(NameCall call) => AppendAsync(TimerFiringsKey, call.Name);

    private async Task AppendAsync(string key, string name)
    {
        var firings = await StateManager.GetOrAddStateAsync(key, new List<Firing>());
        firings.Add(new Firing(name, DateTimeOffset.UtcNow, settings.Instance));
        await StateManager.SetStateAsync(key, firings);
    }

    private static TimeSpan? Period(ScheduleCall call) => call.PeriodMs is > 0 and var ms ? TimeSpan.FromMilliseconds(ms) : null;
}
