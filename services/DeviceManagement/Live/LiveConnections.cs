using DaprIoT.DeviceManagement.Events;
using Microsoft.AspNetCore.SignalR;

namespace DaprIoT.DeviceManagement.Live;

/// <summary>
/// This replica's hub connections, grouped by user (group <c>user:{userId}</c>), each behind a <see cref="Feed"/>
/// that decides what it still needs. The hub keeps the groups itself rather than through SignalR's groups because
/// every connection filters on its own: it gets a device's change only if it is newer than what it has (its snapshot,
/// then the changes it was sent), so no connection sees a version twice or goes back to an older one.
/// </summary>
public sealed partial class LiveConnections(IHubContext<DeviceHub> hub, TimeProvider time, ILogger<LiveConnections> logger)
{
    public const string SnapshotMethod = "snapshot";
    public const string DeviceChangedMethod = "deviceChanged";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, Feed>> _groups = new(StringComparer.Ordinal);

    public static string Group(string userId) => "user:" + userId;

    /// <summary>Adds a connection to its user's group. Changes are held for it until <see cref="Feed.StartAsync"/> sent its snapshot.</summary>
    /// <param name="abort">Closes the connection; used when it stops taking what it is sent.</param>
    public Feed Join(string userId, string connectionId, Action abort)
    {
        var feed = new Feed(hub.Clients.Client(connectionId), time, () =>
        {
            SlowConnection(logger, connectionId, Feed.SendTimeout.TotalSeconds);
            abort();
        });
        lock (_lock)
        {
            if (!_groups.TryGetValue(Group(userId), out var group)) _groups[Group(userId)] = group = new(StringComparer.Ordinal);
            group[connectionId] = feed;
        }

        return feed;
    }

    public Feed? Find(string userId, string connectionId)
    {
        lock (_lock) return _groups.TryGetValue(Group(userId), out var group) ? group.GetValueOrDefault(connectionId) : null;
    }

    public void Leave(string userId, string connectionId)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(Group(userId), out var group)) return;
            group.Remove(connectionId);
            if (group.Count == 0) _groups.Remove(Group(userId));
        }
    }

    /// <summary>Pushes a change to the owner's connections on this replica.</summary>
    public Task PushAsync(DeviceEventJson change)
    {
        if (change.Owner is not { Length: > 0 } owner) return Task.CompletedTask;
        Feed[] feeds;
        lock (_lock)
        {
            if (!_groups.TryGetValue(Group(owner), out var group)) return Task.CompletedTask;
            feeds = [.. group.Values];
        }

        return Task.WhenAll(feeds.Select(feed => feed.PushAsync(change)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} took no change for {Seconds} s; closed (it resyncs when it reconnects)")]
    private static partial void SlowConnection(ILogger logger, string connectionId, double seconds);

    /// <summary>One connection: a snapshot first, then only changes newer than what it has, in that order.</summary>
    /// <param name="abort">Closes the connection when a change cannot be handed to it within <see cref="SendTimeout"/>.</param>
    public sealed class Feed(IClientProxy client, TimeProvider time, Action? abort = null)
    {
        /// <summary>
        /// How long a change may wait for the connection (its send buffer full: a browser that stopped reading). Then the
        /// connection is closed rather than holding one of the few senders (<see cref="ChangeCoalescer"/>) from everyone
        /// else; the browser reconnects and gets a snapshot.
        /// </summary>
        public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

        // One send at a time, so what the connection gets is in the order decided here.
        private readonly SemaphoreSlim _turn = new(1, 1);
        private readonly List<DeviceEventJson> _held = [];
        private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
        private bool _started;
        private volatile bool _closed;

        /// <summary>Sends the snapshot, then the changes held meanwhile that are newer than it.</summary>
        public async Task StartAsync(Snapshot snapshot, CancellationToken cancellationToken)
        {
            await _turn.WaitAsync(cancellationToken);
            try
            {
                Observe(snapshot);
                await client.SendAsync(SnapshotMethod, snapshot.List, cancellationToken);
                foreach (var change in _held.OrderBy(c => c.Version))
                    if (Take(change)) await client.SendAsync(DeviceChangedMethod, change, cancellationToken);
                _held.Clear();
                _started = true;
            }
            finally
            {
                _turn.Release();
            }
        }

        /// <summary>A snapshot the client asked for: changes not newer than it are not sent after it.</summary>
        public async Task ObserveAsync(Snapshot snapshot, CancellationToken cancellationToken)
        {
            await _turn.WaitAsync(cancellationToken);
            try
            {
                Observe(snapshot);
            }
            finally
            {
                _turn.Release();
            }
        }

        public async Task PushAsync(DeviceEventJson change)
        {
            // Whatever cannot go at once (the previous send still waits for the connection) waits at most SendTimeout.
            if (!_turn.Wait(0))
            {
                using var patience = new CancellationTokenSource(SendTimeout, time);
                try
                {
                    await _turn.WaitAsync(patience.Token);
                }
                catch (OperationCanceledException)
                {
                    Close();
                    return;
                }
            }

            try
            {
                if (_closed) return;
                if (!_started) _held.Add(change);
                else if (Take(change))
                {
                    var sending = client.SendAsync(DeviceChangedMethod, change);
                    if (sending.IsCompleted) await sending;
                    else await sending.WaitAsync(SendTimeout, time);
                }
            }
            catch (TimeoutException)
            {
                Close();
            }
            finally
            {
                _turn.Release();
            }
        }

        /// <summary>Gives up on the connection: it is closed, and nothing more is sent to it.</summary>
        private void Close()
        {
            _closed = true;
            abort?.Invoke();
        }

        private void Observe(Snapshot snapshot)
        {
            foreach (var (deviceId, version) in snapshot.Versions)
                if (!_versions.TryGetValue(deviceId, out var known) || known < version) _versions[deviceId] = version;
        }

        private bool Take(DeviceEventJson change)
        {
            if (_versions.TryGetValue(change.DeviceId, out var known) && known >= change.Version) return false;
            _versions[change.DeviceId] = change.Version;
            return true;
        }
    }
}
