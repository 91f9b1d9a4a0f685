using DaprIoT.DeviceManagement.Events;

namespace DaprIoT.DeviceManagement.Live;

/// <summary>
/// Paces each device's changes on their way to browsers, and bounds the work of sending them.
/// <list type="bullet">
/// <item>A change of a device that sent nothing in the last <c>window</c> is due at once (a quiet device adds no
/// latency); changes within the window wait, and only the newest of them is due when the window ends (a busy device
/// sends at most one change per window, never a flood). A device's entry and its timer exist only while it is busy.</item>
/// <item>At most <c>maxSends</c> sends run at a time. A change due while all of them run waits in a backlog that holds
/// each device once: a newer change of a device already waiting takes the older one's place. So when browsers or the
/// machine fall behind, the backlog stays bounded by the number of devices and the newest twin still goes — merged,
/// never dropped — and a burst of events cannot flood the thread pool and starve the connections' keep-alives.</item>
/// </list>
/// </summary>
public sealed partial class ChangeCoalescer(TimeProvider time, TimeSpan window, int maxSends, Func<DeviceEventJson, Task> send, ILogger logger)
    : IDisposable
{
    /// <summary>Sends at a time when not configured: enough to hide one send's wait, few enough to leave the pool room.</summary>
    public const int DefaultMaxSends = 32;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Slot> _busy = new(StringComparer.Ordinal);
    private readonly Queue<string> _backlog = new();
    private int _sending;

    /// <summary>Devices whose window is open (sent recently, or with a change waiting).</summary>
    public int BusyDevices
    {
        get
        {
            lock (_lock) return _busy.Count;
        }
    }

    /// <summary>Devices with a change due but not yet being sent, because <c>maxSends</c> sends are running.</summary>
    public int Backlog
    {
        get
        {
            lock (_lock) return _backlog.Count;
        }
    }

    public void Offer(DeviceEventJson change)
    {
        DeviceEventJson? sendNow;
        lock (_lock)
        {
            if (_busy.TryGetValue(change.DeviceId, out var slot))
            {
                // Already due and waiting for a sender: the newer change goes in its place, as soon.
                if (slot.Due is { } due) slot.Due = Newer(due, change);
                else slot.Waiting = slot.Waiting is null ? change : Newer(slot.Waiting, change);
                return;
            }

            var deviceId = change.DeviceId;
            slot = new Slot(time.CreateTimer(_ => WindowEnded(deviceId), null, window, Timeout.InfiniteTimeSpan));
            _busy[deviceId] = slot;
            sendNow = Dispatch(deviceId, slot, change);
        }

        if (sendNow is not null) _ = SendAsync(sendNow);
    }

    private void WindowEnded(string deviceId)
    {
        DeviceEventJson? sendNow = null;
        lock (_lock)
        {
            if (!_busy.TryGetValue(deviceId, out var slot)) return;
            if (slot.Waiting is { } waiting)
            {
                slot.Waiting = null;
                if (slot.Due is { } due) slot.Due = Newer(due, waiting);
                else sendNow = Dispatch(deviceId, slot, waiting);
                // What goes now opens another window.
                slot.Timer.Change(window, Timeout.InfiniteTimeSpan);
            }
            else if (slot.Due is not null)
            {
                // Still in the backlog: the device stays busy until its change has gone.
                slot.Timer.Change(window, Timeout.InfiniteTimeSpan);
            }
            else
            {
                // Nothing came in this window: the next change goes at once.
                slot.Timer.Dispose();
                _busy.Remove(deviceId);
            }
        }

        if (sendNow is not null) _ = SendAsync(sendNow);
    }

    /// <summary>Under the lock: the change to send now if a sender is free, else null with the device in the backlog.</summary>
    private DeviceEventJson? Dispatch(string deviceId, Slot slot, DeviceEventJson change)
    {
        if (_sending < maxSends)
        {
            _sending++;
            return change;
        }

        slot.Due = change;
        _backlog.Enqueue(deviceId);
        return null;
    }

    /// <summary>Sends the change, then whatever the backlog holds, until it is empty; then the sender is free again.</summary>
    private async Task SendAsync(DeviceEventJson change)
    {
        for (DeviceEventJson? next = change; next is not null; next = TakeFromBacklog())
        {
            try
            {
                // Not awaited by the caller (a delivery, a timer): it must not wait for browsers.
                await send(next);
            }
            catch (Exception error)
            {
                // A browser that misses a change gets the newest twin with the device's next change, or on reconnecting.
                SendFailed(logger, next.DeviceId, next.Version, error);
            }
        }
    }

    private DeviceEventJson? TakeFromBacklog()
    {
        lock (_lock)
        {
            while (_backlog.TryDequeue(out var deviceId))
            {
                if (_busy.TryGetValue(deviceId, out var slot) && slot.Due is { } due)
                {
                    slot.Due = null;
                    return due;
                }
            }

            _sending--;
            return null;
        }
    }

    private static DeviceEventJson Newer(DeviceEventJson known, DeviceEventJson offered) => offered.Version > known.Version ? offered : known;

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var slot in _busy.Values) slot.Timer.Dispose();
            _busy.Clear();
            _backlog.Clear();
        }
    }

    private sealed class Slot(ITimer timer)
    {
        public ITimer Timer { get; } = timer;

        /// <summary>The newest change within the window, due when it ends.</summary>
        public DeviceEventJson? Waiting { get; set; }

        /// <summary>A change due now, in the backlog until a sender is free.</summary>
        public DeviceEventJson? Due { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change {Version} of device {DeviceId} could not be pushed to its owner's connections")]
    private static partial void SendFailed(ILogger logger, string deviceId, long version, Exception error);
}
