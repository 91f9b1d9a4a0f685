using System.Text.Json;
using DaprIoT.Dapr.Actors;

namespace DaprIoT.Dapr.Tests;

/// <summary>A test actor exercising dispatch, state, turn order, reminders and timers.</summary>
public sealed class CounterActor(ActorTestRecorder recorder) : Actor, IRemindable
{
    public async Task<int> Increment(int by)
    {
        var current = await StateManager.TryGetStateAsync<int>("count");
        var next = (current.HasValue ? current.Value : 0) + by;
        await StateManager.SetStateAsync("count", next);
        return next;
    }

    public async Task<int> IncrementThenFailAsync()
    {
        await StateManager.SetStateAsync("count", 1000);
        throw new InvalidOperationException("failed after writing");
    }

    public async Task Slow(SlowCall call)
    {
        recorder.Enter();
        recorder.Events.Enqueue($"start {call.Label}");
        await Task.Delay(call.DelayMs);
        recorder.Events.Enqueue($"end {call.Label}");
        recorder.Leave();
    }

    public Task Forget() => StateManager.RemoveStateAsync("count");

    public async Task<int> ReadTwice()
    {
        var first = await StateManager.GetOrAddStateAsync("count", 0);
        var second = await StateManager.GetStateAsync<int>("count");
        return first + second;
    }

    public Task<int> ReadMissing() => StateManager.GetStateAsync<int>("never-written");

    public Task<string> WhoAmI() => Task.FromResult($"{Type}/{Id}");

    public Task ReceiveReminderAsync(string reminderName, JsonElement? data, string dueTime, string period)
    {
        recorder.Events.Enqueue($"reminder {reminderName} {data?.GetRawText()} '{dueTime}' '{period}'");
        return StateManager.SetStateAsync("last-reminder", reminderName);
    }

    public Task ScheduleTick() => RegisterTimerAsync("tick", nameof(OnTick), new SlowCall("timer", 0), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    public Task ScheduleNudge() => RegisterReminderAsync("nudge", new { n = 1 }, TimeSpan.FromSeconds(2), TimeSpan.FromHours(24));

    protected override Task OnActivateAsync()
    {
        recorder.Events.Enqueue($"activate {Id}");
        return Task.CompletedTask;
    }

    protected override Task OnDeactivateAsync()
    {
        recorder.Events.Enqueue($"deactivate {Id}");
        return Task.CompletedTask;
    }

    private Task OnTick(SlowCall call)
    {
        recorder.Events.Enqueue($"timer {call.Label}");
        return Task.CompletedTask;
    }
}
