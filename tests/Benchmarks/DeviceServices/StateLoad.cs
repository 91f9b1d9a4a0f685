using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DaprIoT.Benchmarks.RuntimeLatency;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <summary>
/// State changes at a fixed rate through the device actors: an MQTT client with the broker's admin login (which may
/// publish anywhere) publishes, as the devices <c>st-1…st-K</c> would, a new <c>state</c> (QoS 1, the next
/// <c>seq</c>, a new brightness) to each in turn. These devices are provisioned but not simulated, so nothing else
/// reports for them. A change is measured from the broker forwarding the state to the watcher until the bus
/// delivers the <c>device-events</c> message whose twin reports that brightness.
/// </summary>
public sealed class StateLoad : IAsyncDisposable
{
    public const string Prefix = "st-";

    private readonly Observations _observations;
    private readonly DevicePlatform _platform;
    private readonly SemaphoreSlim _reconnecting = new(1, 1);
    private MqttTestClient _publisher;
    private long _reconnects;
    private readonly string[] _devices;
    private readonly uint[] _seq;
    /// <summary>Per device, the brightness of the last state published to it (-1: none yet).</summary>
    private readonly int[] _lastBrightness;
    private readonly ConcurrentDictionary<(string Device, int Brightness), long> _published = new();
    // States whose event the bus delivered before the watcher saw the state: under load the watcher's own connection
    // can lag behind the whole path (or lose its connection and get the state again later). Such a state reached its
    // twin, but has no latency to measure.
    private readonly ConcurrentDictionary<(string Device, int Brightness), byte> _aheadOfWatcher = new();
    private long _matchedAhead;
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly ConcurrentBag<double> _toEvent = [];
    private readonly ConcurrentBag<double> _toBus = [];
    private long _sent;
    private long _failed;
    private long _eventsInWindow;
    private long _windowStart;
    private long _windowEnd = long.MaxValue;

    private StateLoad(DevicePlatform platform, Observations observations, MqttTestClient publisher, string[] devices)
    {
        _platform = platform;
        _observations = observations;
        _publisher = publisher;
        _devices = devices;
        _seq = new uint[devices.Length];
        _lastBrightness = Enumerable.Repeat(-1, devices.Length).ToArray();
        observations.Published += OnPublished;
        observations.DeviceEvent += OnEvent;
    }

    public static async Task<StateLoad> StartAsync(DevicePlatform platform, Observations observations, int devices, int concurrency, CancellationToken cancellationToken)
    {
        var (credentials, _, _) = await Fleet.ProvisionAsync(platform, Prefix, 1, devices, concurrency, cancellationToken);
        var (user, password) = platform.BrokerAdmin;
        var publisher = await MqttTestClient.ConnectAsync(platform.BrokerPort, "bench-states", user, password, cancellationToken);
        return new StateLoad(platform, observations, publisher, credentials.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    /// <summary>Publishes <paramref name="rate"/> states a second until <paramref name="until"/> is cancelled; then waits for the stragglers.</summary>
    public async Task<StateResult> RunAsync(int rate, CancellationToken until, CancellationToken cancellationToken)
    {
        Reset();
        var pending = new List<Task>();
        var clock = Stopwatch.StartNew();
        _windowStart = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        long issued = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(until))
            {
                // Open loop: as many as the clock says are due, whatever the platform's pace.
                var due = (long)(clock.Elapsed.TotalSeconds * rate);
                for (; issued < due; issued++) pending.Add(PublishNextAsync(cancellationToken));
                pending.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (until.IsCancellationRequested)
        {
            // The stretch is over.
        }

        var seconds = clock.Elapsed.TotalSeconds;
        _windowEnd = Stopwatch.GetTimestamp();
        await Task.WhenAll(pending);
        var drain = await DrainAsync(cancellationToken);
        var behind = await CountBehindAsync(cancellationToken);
        return new StateResult(rate, seconds, Interlocked.Read(ref _sent), Interlocked.Read(ref _failed), Interlocked.Read(ref _reconnects), Interlocked.Read(ref _eventsInWindow),
            new LatencySample(_latencies), new LatencySample(_toEvent), new LatencySample(_toBus), _published.Count, (int)Interlocked.Read(ref _matchedAhead), drain, behind);
    }

    private async Task PublishNextAsync(CancellationToken cancellationToken)
    {
        var n = (int)(Interlocked.Increment(ref _sent) - 1);
        var index = n % _devices.Length;
        var seq = Interlocked.Increment(ref _seq[index]);
        // Brightness 0–100 in turn: a device's next state always differs from its last, so the twin changes.
        var brightness = (int)(seq % 101);
        var payload = string.Create(CultureInfo.InvariantCulture, $"{{\"boot\":1,\"seq\":{seq},\"power\":true,\"brightnessPct\":{brightness},\"colorTempK\":4000}}");
        try
        {
            await _publisher.PublishAsync($"dapriot/lightbulb/{_devices[index]}/state", payload, cancellationToken);
            // Publishes to one device are a whole round of the devices apart, so the last acknowledged is the last sent.
            Volatile.Write(ref _lastBrightness[index], brightness);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Timed out, or canceled by the client because the broker dropped the connection (in a reconnect storm).
            Interlocked.Increment(ref _failed);
            await ReconnectAsync(cancellationToken);
        }
    }

    /// <summary>
    /// MQTTnet closes the connection after a publish whose acknowledgement timed out (a busy broker): open a new one
    /// so the load goes on, and count it.
    /// </summary>
    private async Task ReconnectAsync(CancellationToken cancellationToken)
    {
        await _reconnecting.WaitAsync(cancellationToken);
        try
        {
            if (_publisher.IsConnected) return;
            await _publisher.DisposeAsync();
            var (user, password) = _platform.BrokerAdmin;
            _publisher = await MqttTestClient.ConnectAsync(_platform.BrokerPort, "bench-states", user, password, cancellationToken);
            Interlocked.Increment(ref _reconnects);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The broker is too busy to take the connection now; the next failed publish tries again.
        }
        finally
        {
            _reconnecting.Release();
        }
    }

    private void OnPublished(string topic, string payload, long at)
    {
        if (!topic.EndsWith("/state", StringComparison.Ordinal)) return;
        var device = Observations.DeviceIdOf(topic);
        if (!device.StartsWith(Prefix, StringComparison.Ordinal)) return;
        using var json = JsonDocument.Parse(payload);
        var key = (device, json.RootElement.GetProperty("brightnessPct").GetInt32());
        if (_aheadOfWatcher.TryRemove(key, out _)) Interlocked.Increment(ref _matchedAhead);
        else _published[key] = at;
    }

    private void OnEvent(DeviceEvent e, long at)
    {
        if (!e.DeviceId.StartsWith(Prefix, StringComparison.Ordinal) || !e.Changes.Contains(DeviceChanges.Reported)) return;
        if (!e.Twin.Properties.TryGetValue("brightnessPct", out var brightness) || brightness.Reported is not { } reported) return;
        var key = (e.DeviceId, reported.GetInt32());
        if (at >= _windowStart && at <= _windowEnd) Interlocked.Increment(ref _eventsInWindow);
        if (!_published.TryRemove(key, out var publishedAt))
        {
            _aheadOfWatcher[key] = 0;
            return;
        }

        _latencies.Add(Observations.Milliseconds(publishedAt, at));
        _toEvent.Add(Observations.Milliseconds(publishedAt, e.At));
        _toBus.Add(Observations.Milliseconds(e.At, at));
    }

    /// <summary>Waits until every forwarded state has its event, or nothing arrived for 5 s; returns seconds waited.</summary>
    private async Task<double> DrainAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = (Count: -1, At: TimeSpan.Zero);
        while (_published.Count > 0 && clock.Elapsed - last.At < TimeSpan.FromSeconds(5))
        {
            var matched = _latencies.Count + (int)Interlocked.Read(ref _matchedAhead);
            if (matched != last.Count) last = (matched, clock.Elapsed);
            await Task.Delay(50, cancellationToken);
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Reads every device's twin once the drain is over: how many do not report the last state published to them. A
    /// state without an event may only be late; a twin behind its device's last state lost something.
    /// </summary>
    private async Task<int> CountBehindAsync(CancellationToken cancellationToken)
    {
        var behind = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, _devices.Length), new ParallelOptions { MaxDegreeOfParallelism = 50, CancellationToken = cancellationToken },
            async (index, _) =>
            {
                var last = Volatile.Read(ref _lastBrightness[index]);
                if (last < 0) return;
                var twin = await _platform.LightBulb(_devices[index]).GetTwin();
                if (!twin.Properties.TryGetValue("brightnessPct", out var brightness) || brightness.Reported?.GetInt32() != last)
                    Interlocked.Increment(ref behind);
            });
        return behind;
    }

    private void Reset()
    {
        _published.Clear();
        _aheadOfWatcher.Clear();
        Interlocked.Exchange(ref _matchedAhead, 0);
        _latencies.Clear();
        _toEvent.Clear();
        _toBus.Clear();
        Interlocked.Exchange(ref _sent, 0);
        Interlocked.Exchange(ref _failed, 0);
        Interlocked.Exchange(ref _reconnects, 0);
        Interlocked.Exchange(ref _eventsInWindow, 0);
        _windowEnd = long.MaxValue;
    }

    public async ValueTask DisposeAsync()
    {
        _observations.Published -= OnPublished;
        _observations.DeviceEvent -= OnEvent;
        await _publisher.DisposeAsync();
        _reconnecting.Dispose();
    }
}

/// <param name="Failed">Publishes that failed (no acknowledgement from the broker in 5 s, or no connection).</param>
/// <param name="Reconnects">Times the publisher had to connect again after a failure.</param>
/// <param name="EventsInWindow">State events the bus delivered while states were being published.</param>
/// <param name="ToEvent">From the broker until the actor published the event (its <c>At</c>): binding, actor call, twin rules.</param>
/// <param name="ToBus">From the actor's publish to the bus subscriber: Redis Streams and delivery.</param>
/// <param name="Unmatched">States the broker forwarded that got no event before the wait ended.</param>
/// <param name="MatchedAhead">Forwarded states whose event the bus delivered before the watcher saw them (no latency measured).</param>
/// <param name="Behind">Devices whose twin, read after the wait, did not report the last state published to them.</param>
public sealed record StateResult(int Rate, double Seconds, long Sent, long Failed, long Reconnects, long EventsInWindow, LatencySample Latency,
    LatencySample ToEvent, LatencySample ToBus, int Unmatched, int MatchedAhead, double DrainSeconds, int Behind)
{
    public double DeliveredPerSecond => EventsInWindow / Seconds;
}
