using System.Text.Json;
using Dapr.Actors.Runtime;

namespace DaprIoT.ConformanceApp;

/// <summary>The Probe actor; see <see cref="IProbeActor"/>. Reminder and timer firings are kept in the actor's state.</summary>
public sealed class ProbeActor(ActorHost host, ProbeRegistry registry, ConformanceSettings settings) : Actor(host), IProbeActor, IRemindable
{
    private const string CounterKey = "counter";
    private const string ReminderFiringsKey = "reminder-firings";
    private const string TimerFiringsKey = "timer-firings";

    private string ActorId => Id.GetId();

    public async Task<int> Enter(EnterCall call)
    {
        var alreadyInside = registry.Enter(ActorId, call.Label ?? "");
        try
        {
            if (alreadyInside > 0)
            {
                throw new InvalidOperationException($"Concurrent entry into Probe/{ActorId}: {alreadyInside} call(s) already inside. Turn-based concurrency is broken.");
            }

            await Task.Delay(Math.Max(0, call.DelayMs));
            return registry.CallOrder(ActorId).Count;
        }
        finally
        {
            registry.Leave(ActorId);
        }
    }

    public Task<IReadOnlyList<string>> GetCallOrder() => Task.FromResult(registry.CallOrder(ActorId));

    public async Task<int> Count()
    {
        var next = await StateManager.GetOrAddStateAsync(CounterKey, 0) + 1;
        await StateManager.SetStateAsync(CounterKey, next);
        return next;
    }

    public Task<int> GetActivations() => Task.FromResult(registry.Activations(ActorId));

    public Task ScheduleReminder(ScheduleCall call) =>
        RegisterReminderAsync(call.Name, JsonSerializer.SerializeToUtf8Bytes(new NameCall(call.Name)), TimeSpan.FromMilliseconds(call.DueTimeMs), Period(call));

    public Task CancelReminder(NameCall call) => UnregisterReminderAsync(call.Name);

    public Task<List<Firing>> GetReminderFirings() => StateManager.GetOrAddStateAsync(ReminderFiringsKey, new List<Firing>());

    public Task ScheduleTimer(ScheduleCall call) =>
        RegisterTimerAsync(call.Name, nameof(OnTimer), JsonSerializer.SerializeToUtf8Bytes(new NameCall(call.Name)), TimeSpan.FromMilliseconds(call.DueTimeMs), Period(call));

    public Task CancelTimer(NameCall call) => UnregisterTimerAsync(call.Name);

    public Task<List<Firing>> GetTimerFirings() => StateManager.GetOrAddStateAsync(TimerFiringsKey, new List<Firing>());

    public Task ReceiveReminderAsync(string reminderName, byte[] state, TimeSpan dueTime, TimeSpan period) =>
        AppendAsync(ReminderFiringsKey, reminderName);

    /// <summary>The timer callback, named when the timer is registered; the SDK finds it by name when the timer fires.</summary>
    public Task OnTimer(byte[] data) => AppendAsync(TimerFiringsKey, JsonSerializer.Deserialize<NameCall>(data)?.Name ?? "");

    protected override Task OnActivateAsync()
    {
        registry.Activated(ActorId);
        return Task.CompletedTask;
    }

    private async Task AppendAsync(string key, string name)
    {
        var firings = await StateManager.GetOrAddStateAsync(key, new List<Firing>());
        firings.Add(new Firing(name, DateTimeOffset.UtcNow, settings.Instance));
        await StateManager.SetStateAsync(key, firings);
    }

    /// <summary>No or zero period fires once: the SDK sends an infinite period as "no period".</summary>
    private static TimeSpan Period(ScheduleCall call) => call.PeriodMs is > 0 and var ms ? TimeSpan.FromMilliseconds(ms) : Timeout.InfiniteTimeSpan;
}
