using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.DeviceManagement.Events;
using DaprIoT.DeviceManagement.Live;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Time.Testing;

namespace DaprIoT.DeviceManagement.Tests;

/// <summary>
/// One hub connection's <see cref="LiveConnections.Feed"/>, with a recording client in place of the connection: the
/// snapshot goes first, changes that came while it was read follow if newer, and no version goes twice or backwards.
/// </summary>
public sealed class FeedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class RecordingClient : IClientProxy
    {
        public List<string> Sent { get; } = [];

        public Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
        {
            Sent.Add(args[0] switch
            {
                DeviceList list => $"{method} [{string.Join(", ", list.Devices.Select(d => $"{d.DeviceId} v{d.Version}"))}]",
                DeviceEventJson change => $"{method} {change.DeviceId} v{change.Version}",
                var other => $"{method} {other}",
            });
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Changes_held_while_the_snapshot_is_read_follow_it_when_newer()
    {
        var client = new RecordingClient();
        var feed = new LiveConnections.Feed(client, TimeProvider.System);

        await feed.PushAsync(Change("bulb-a", 5));
        await feed.PushAsync(Change("bulb-a", 3));
        await feed.PushAsync(Change("bulb-b", 2));
        await feed.PushAsync(Change("bulb-gone", 8));
        Assert.Empty(client.Sent);

        // bulb-a is at 4 in the snapshot; bulb-gone was removed at 9 (known to the snapshot, not listed).
        await feed.StartAsync(Snapshot([("bulb-a", 4)], ("bulb-gone", 9)), Ct);

        Assert.Equal(["snapshot [bulb-a v4]", "deviceChanged bulb-b v2", "deviceChanged bulb-a v5"], client.Sent);
    }

    [Fact]
    public async Task After_the_snapshot_only_newer_versions_go()
    {
        var client = new RecordingClient();
        var feed = new LiveConnections.Feed(client, TimeProvider.System);
        await feed.StartAsync(Snapshot([("bulb-a", 4)]), Ct);

        await feed.PushAsync(Change("bulb-a", 4));
        await feed.PushAsync(Change("bulb-a", 6));
        await feed.PushAsync(Change("bulb-a", 5));
        await feed.PushAsync(Change("bulb-a", 6));
        await feed.ObserveAsync(Snapshot([("bulb-a", 8)]), Ct);     // the client asked for a newer snapshot
        await feed.PushAsync(Change("bulb-a", 7));
        await feed.PushAsync(Change("bulb-a", 9));

        Assert.Equal(["snapshot [bulb-a v4]", "deviceChanged bulb-a v6", "deviceChanged bulb-a v9"], client.Sent);
    }

    private sealed class StalledClient : IClientProxy
    {
        public int Sends;

        // A browser that stopped reading: its buffer is full, so the send never completes.
        public Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Sends);
            return method == LiveConnections.SnapshotMethod ? Task.CompletedTask : new TaskCompletionSource().Task;
        }
    }

    [Fact]
    public async Task A_connection_that_takes_nothing_for_the_send_timeout_is_closed_and_frees_its_sender()
    {
        var clock = new FakeTimeProvider();
        var client = new StalledClient();
        var aborted = 0;
        var feed = new LiveConnections.Feed(client, clock, () => Interlocked.Increment(ref aborted));
        await feed.StartAsync(Snapshot([]), Ct);

        var first = feed.PushAsync(Change("bulb-a", 1));            // stalls in the send
        var second = feed.PushAsync(Change("bulb-a", 2));           // waits its turn behind it
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        clock.Advance(LiveConnections.Feed.SendTimeout);
        await first.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await second.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.True(aborted >= 1, "the stalled connection was not closed");
        Assert.Equal(2, client.Sends);                                // the snapshot, and the stalled change
    }

    private static Snapshot Snapshot(IReadOnlyList<(string DeviceId, long Version)> listed, params (string DeviceId, long Version)[] removed)
    {
        IReadOnlyList<DeviceTwinView> devices = [.. listed.Select(d => Twin(d.DeviceId, d.Version))];
        return new Snapshot(new DeviceList(devices),
            listed.Concat(removed).ToDictionary(d => d.DeviceId, d => d.Version, StringComparer.Ordinal));
    }

    private static DeviceEventJson Change(string deviceId, long version) =>
        DeviceEventJsonTests.Of(new DeviceEvent(deviceId, "lightbulb", "alice", version, DateTimeOffset.UnixEpoch, [DeviceChanges.Reported], Twin(deviceId, version)));

    private static DeviceTwinView Twin(string deviceId, long version) =>
        new(deviceId, "lightbulb", true, "alice", "Desk", version,
            new PresenceView(PresenceState.Unknown, 0, null, null, null, null, null), new Dictionary<string, PropertyView>(), [], null);
}
