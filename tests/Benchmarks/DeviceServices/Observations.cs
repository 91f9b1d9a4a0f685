using System.Diagnostics;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <summary>
/// Everything the benchmark sees, stamped with one clock (<see cref="Stopwatch"/>) as it arrives in this process: what
/// the broker forwards to an admin watcher subscribed to the bulbs' <c>telemetry</c>, <c>state</c>, <c>cmd</c> and
/// <c>ack</c> topics (the moment a device's message left the broker, taken as its publish time: same machine,
/// loopback), and what the bus delivers to the platform's bus subscriber (<see cref="BusRecorder"/>). Both keep what
/// they receive in queues with its stamp; one thread empties them every millisecond and hands each item to the phases,
/// so the phases' bookkeeping needs no locks and adds nothing to a figure. Stamps convert to wall-clock time
/// (<see cref="WallClock"/>) to split a latency at the platform's own timestamps (a reading's <c>ReceivedAt</c>, an
/// event's <c>At</c>), taken from the same system clock. Phases listen to the events below, which run on that thread
/// and must be quick.
/// </summary>
public sealed class Observations : IAsyncDisposable
{
    private static readonly string[] Filters = ["dapriot/lightbulb/+/telemetry", "dapriot/lightbulb/+/state", "dapriot/lightbulb/+/cmd", "dapriot/lightbulb/+/ack"];

    private readonly DevicePlatform _platform;
    private readonly BusRecorder _recorder;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watchdog;
    private volatile MqttTestClient _watcher;
    private volatile bool _stopping;

    private Observations(DevicePlatform platform, MqttTestClient watcher)
    {
        _platform = platform;
        _recorder = platform.Recorder;
        _watcher = watcher;
        _thread = new Thread(Drain) { IsBackground = true, Name = "observations", Priority = ThreadPriority.AboveNormal };
        _watchdog = WatchAsync();
    }

    /// <summary>Times the watcher lost its connection (a broker too busy to answer its keep-alive) and connected again.</summary>
    public int WatcherReconnects { get; private set; }

    /// <summary>A message the broker forwarded to the watcher: topic, payload, stamp.</summary>
    public event Action<string, string, long>? Published;

    /// <summary>A <c>device-events</c> message the bus delivered, and its stamp.</summary>
    public event Action<DeviceEvent, long>? DeviceEvent;

    /// <summary>A <c>telemetry</c> message the bus delivered, and its stamp.</summary>
    public event Action<TelemetryReading, long>? Telemetry;

    public static async Task<Observations> StartAsync(DevicePlatform platform, CancellationToken cancellationToken)
    {
        var observations = new Observations(platform, await ConnectWatcherAsync(platform, cancellationToken));
        observations._thread.Start();
        return observations;
    }

    private static async Task<MqttTestClient> ConnectWatcherAsync(DevicePlatform platform, CancellationToken cancellationToken)
    {
        var (user, password) = platform.BrokerAdmin;
        var watcher = await MqttTestClient.ConnectAsync(platform.BrokerPort, "bench-watcher", user, password, cancellationToken);
        foreach (var filter in Filters)
            if (!await watcher.SubscribeAsync(filter, cancellationToken)) throw new InvalidOperationException($"the broker refused the admin watcher's subscription to {filter}");
        return watcher;
    }

    /// <summary>Connects the watcher again when it lost its connection; what it had received is drained first.</summary>
    private async Task WatchAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (_watcher.IsConnected) continue;
                try
                {
                    var lost = _watcher;
                    _watcher = await ConnectWatcherAsync(_platform, _stop.Token);
                    while (lost.Received.TryDequeue(out var message)) Published?.Invoke(message.Topic, message.Payload, message.ReceivedAt);
                    await lost.DisposeAsync();
                    WatcherReconnects++;
                }
                catch (Exception) when (!_stop.IsCancellationRequested)
                {
                    // The broker is still too busy (a timed-out connect may surface as a cancellation); try again on the next tick.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private static readonly (DateTimeOffset Wall, long Stamp) ClockBase = (DateTimeOffset.UtcNow, Stopwatch.GetTimestamp());

    public static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>The wall-clock time of a stamp.</summary>
    public static DateTimeOffset WallClock(long stamp) => ClockBase.Wall + Stopwatch.GetElapsedTime(ClockBase.Stamp, stamp);

    /// <summary>Milliseconds from a stamp to a platform timestamp (negative when the platform's is earlier).</summary>
    public static double Milliseconds(long from, DateTimeOffset to) => (to - WallClock(from)).TotalMilliseconds;

    /// <summary>Milliseconds from a platform timestamp to a stamp.</summary>
    public static double Milliseconds(DateTimeOffset from, long to) => (WallClock(to) - from).TotalMilliseconds;

    /// <summary>The device id in a topic <c>dapriot/{type}/{deviceId}/{kind}</c>.</summary>
    public static string DeviceIdOf(string topic)
    {
        var start = topic.IndexOf('/', 8) + 1;
        return topic[start..topic.IndexOf('/', start)];
    }

    private void Drain()
    {
        while (!_stopping)
        {
            while (_watcher.Received.TryDequeue(out var message)) Published?.Invoke(message.Topic, message.Payload, message.ReceivedAt);
            while (_recorder.Telemetry.TryDequeue(out var reading)) Telemetry?.Invoke(reading.Message, reading.ReceivedAt);
            while (_recorder.DeviceEvents.TryDequeue(out var e)) DeviceEvent?.Invoke(e.Message, e.ReceivedAt);
            Thread.Sleep(1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watchdog;
        _stopping = true;
        _thread.Join();
        await _watcher.DisposeAsync();
        _stop.Dispose();
    }
}
