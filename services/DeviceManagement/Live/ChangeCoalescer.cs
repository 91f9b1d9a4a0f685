using DaprIoT.Contracts.Events;

namespace DaprIoT.DeviceManagement.Live;

/// <summary>
/// Paces each device's changes on their way to browsers: a change of a device that sent nothing in the last
/// <c>window</c> goes at once (a quiet device adds no latency); changes within the window wait, and only the newest of
/// them goes when the window ends (a busy device sends at most one change per window, never a flood). A device's
/// entry and its timer exist only while it is busy.
/// </summary>
public sealed partial class ChangeCoalescer(TimeProvider time, TimeSpan window, Func<DeviceEvent, Task> send, ILogger logger) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Slot> _busy = new(StringComparer.Ordinal);

    /// <summary>Devices whose window is open (sent recently, or with a change waiting).</summary>
    public int BusyDevices
    {
        get
        {
            lock (_lock) return _busy.Count;
        }
    }

    public void Offer(DeviceEvent change)
    {
        lock (_lock)
        {
            if (_busy.TryGetValue(change.DeviceId, out var slot))
            {
                if (slot.Waiting is null || slot.Waiting.Version < change.Version) slot.Waiting = change;
                return;
            }

            var deviceId = change.DeviceId;
            _busy[deviceId] = new Slot(time.CreateTimer(_ => WindowEnded(deviceId), null, window, Timeout.InfiniteTimeSpan));
        }

        Send(change);
    }

    private void WindowEnded(string deviceId)
    {
        DeviceEvent? due;
        lock (_lock)
        {
            if (!_busy.TryGetValue(deviceId, out var slot)) return;
            due = slot.Waiting;
            slot.Waiting = null;
            if (due is null)
            {
                // Nothing came in this window: the next change goes at once.
                slot.Timer.Dispose();
                _busy.Remove(deviceId);
            }
            else
            {
                // What goes now opens another window.
                slot.Timer.Change(window, Timeout.InfiniteTimeSpan);
            }
        }

        if (due is not null) Send(due);
    }

    // Not awaited: the caller (a delivery, a timer) must not wait for browsers.
    private void Send(DeviceEvent change) => _ = SendAsync(change);

    private async Task SendAsync(DeviceEvent change)
    {
        try
        {
            await send(change);
        }
        catch (Exception error)
        {
            // A browser that misses a change gets the newest twin with the device's next change, or on reconnecting.
            SendFailed(logger, change.DeviceId, change.Version, error);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var slot in _busy.Values) slot.Timer.Dispose();
            _busy.Clear();
        }
    }

    private sealed class Slot(ITimer timer)
    {
        public ITimer Timer { get; } = timer;

        public DeviceEvent? Waiting { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change {Version} of device {DeviceId} could not be pushed to its owner's connections")]
    private static partial void SendFailed(ILogger logger, string deviceId, long version, Exception error);
}
