using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Events;
using DaprIoT.DeviceManagement.Live;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DaprIoT.DeviceManagement.Tests;

/// <summary><see cref="ChangeCoalescer"/> on a fake clock: a quiet device's change goes at once, a busy one's at most once per window.</summary>
public sealed class ChangeCoalescerTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly List<(TimeSpan At, string DeviceId, long Version)> _sent = [];
    private readonly ChangeCoalescer _coalescer;
    private readonly DateTimeOffset _start;

    public ChangeCoalescerTests()
    {
        _start = _clock.GetUtcNow();
        _coalescer = new ChangeCoalescer(_clock, Window, ChangeCoalescer.DefaultMaxSends, change =>
        {
            lock (_sent) _sent.Add((_clock.GetUtcNow() - _start, change.DeviceId, change.Version));
            return Task.CompletedTask;
        }, NullLogger.Instance);
    }

    [Fact]
    public void A_quiet_devices_change_goes_at_once()
    {
        _coalescer.Offer(Change("bulb-a", 1));

        Assert.Equal([(TimeSpan.Zero, "bulb-a", 1L)], _sent);
    }

    [Fact]
    public void Changes_within_the_window_go_as_the_newest_when_it_ends()
    {
        _coalescer.Offer(Change("bulb-a", 1));
        for (var version = 2; version <= 9; version++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            _coalescer.Offer(Change("bulb-a", version));
        }

        Assert.Single(_sent);
        _clock.Advance(TimeSpan.FromMilliseconds(20));      // 100 ms after the first send

        Assert.Equal([(TimeSpan.Zero, "bulb-a", 1L), (Window, "bulb-a", 9L)], _sent);
    }

    [Fact]
    public void A_late_older_change_does_not_replace_a_newer_one_waiting()
    {
        _coalescer.Offer(Change("bulb-a", 1));
        _coalescer.Offer(Change("bulb-a", 5));
        _coalescer.Offer(Change("bulb-a", 4));

        _clock.Advance(Window);

        Assert.Equal([1L, 5L], _sent.Select(s => s.Version));
    }

    [Fact]
    public void A_busy_device_keeps_sending_once_per_window_and_is_forgotten_when_quiet()
    {
        _coalescer.Offer(Change("bulb-a", 1));
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        _coalescer.Offer(Change("bulb-a", 2));
        _clock.Advance(TimeSpan.FromMilliseconds(50));       // window 1 ends: 2 goes, window 2 opens
        _clock.Advance(TimeSpan.FromMilliseconds(30));
        _coalescer.Offer(Change("bulb-a", 3));
        _clock.Advance(TimeSpan.FromMilliseconds(70));       // window 2 ends: 3 goes
        _clock.Advance(Window);                               // window 3 ends with nothing: the device is quiet again

        Assert.Equal(0, _coalescer.BusyDevices);
        _clock.Advance(TimeSpan.FromMilliseconds(5));
        _coalescer.Offer(Change("bulb-a", 4));                 // at once again

        Assert.Equal(
            [(TimeSpan.Zero, "bulb-a", 1L), (TimeSpan.FromMilliseconds(100), "bulb-a", 2L), (TimeSpan.FromMilliseconds(200), "bulb-a", 3L),
             (TimeSpan.FromMilliseconds(305), "bulb-a", 4L)],
            _sent);
    }

    [Fact]
    public void Devices_are_paced_each_on_their_own()
    {
        _coalescer.Offer(Change("bulb-a", 1));
        _coalescer.Offer(Change("bulb-a", 2));
        _coalescer.Offer(Change("bulb-b", 7));

        Assert.Equal([(TimeSpan.Zero, "bulb-a", 1L), (TimeSpan.Zero, "bulb-b", 7L)], _sent);
        _clock.Advance(Window);
        Assert.Equal((Window, "bulb-a", 2L), _sent[^1]);
        Assert.Equal(3, _sent.Count);
    }

    [Fact]
    public void A_failing_send_is_logged_and_the_next_window_still_works()
    {
        var calls = 0;
        using var coalescer = new ChangeCoalescer(_clock, Window, ChangeCoalescer.DefaultMaxSends, _ =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("connection gone") : Task.CompletedTask, NullLogger.Instance);

        coalescer.Offer(Change("bulb-a", 1));
        coalescer.Offer(Change("bulb-a", 2));
        _clock.Advance(Window);

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task With_every_sender_busy_due_changes_wait_once_per_device_and_the_newest_goes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = new List<(string DeviceId, long Version)>();
        using var coalescer = new ChangeCoalescer(_clock, Window, maxSends: 1, async change =>
        {
            lock (sent) sent.Add((change.DeviceId, change.Version));
            if (change.DeviceId == "bulb-a") await release.Task;   // the browser of bulb-a's owner is slow
        }, NullLogger.Instance);

        coalescer.Offer(Change("bulb-a", 1));                      // takes the only sender, and holds it
        coalescer.Offer(Change("bulb-b", 1));                      // due at once, but waits for the sender
        coalescer.Offer(Change("bulb-c", 1));
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        coalescer.Offer(Change("bulb-b", 2));                      // in bulb-b's window: waits for its end
        _clock.Advance(Window);                                    // bulb-b's 2 is due: it replaces 1 in the backlog
        coalescer.Offer(Change("bulb-c", 3));                      // already due: 3 takes 1's place at once

        Assert.Equal([("bulb-a", 1L)], sent);
        Assert.Equal(2, coalescer.Backlog);

        release.SetResult();
        await WaitUntilAsync(() => coalescer.Backlog == 0 && sent.Count == 3);

        Assert.Equal([("bulb-a", 1L), ("bulb-b", 2L), ("bulb-c", 3L)], sent);
    }

    [Fact]
    public async Task No_more_than_the_allowed_sends_run_at_once()
    {
        var running = 0;
        var most = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = 0;
        using var coalescer = new ChangeCoalescer(_clock, Window, maxSends: 3, async _ =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            await gate.Task;
            Interlocked.Decrement(ref running);
            Interlocked.Increment(ref done);
        }, NullLogger.Instance);

        for (var i = 0; i < 50; i++) coalescer.Offer(Change($"bulb-{i}", 1));

        Assert.Equal(3, Volatile.Read(ref running));
        Assert.Equal(47, coalescer.Backlog);
        gate.SetResult();
        await WaitUntilAsync(() => Volatile.Read(ref done) == 50);
        Assert.Equal(3, most);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the coalescer's senders did not finish in 10 s");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private static DeviceEventJson Change(string deviceId, long version) =>
        DeviceEventJsonTests.Of(new DeviceEvent(deviceId, "lightbulb", "alice", version, DateTimeOffset.UnixEpoch, [DeviceChanges.Reported],
            new DeviceTwinView(deviceId, "lightbulb", true, "alice", "Desk", version,
                new PresenceView(PresenceState.Unknown, 0, null, null, null, null, null), new Dictionary<string, PropertyView>(), [], null)));

    public void Dispose() => _coalescer.Dispose();
}
