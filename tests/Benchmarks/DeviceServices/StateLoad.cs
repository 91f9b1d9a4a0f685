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
    private readonly ConcurrentDictionary<(string Device, int Brightness), long> _published = new();
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
        return new StateResult(rate, seconds, Interlocked.Read(ref _sent), Interlocked.Read(ref _failed), Interlocked.Read(ref _reconnects), Interlocked.Read(ref _eventsInWindow),
            new LatencySample(_latencies), new LatencySample(_toEvent), new LatencySample(_toBus), _published.Count, drain);
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
        _published[(device, json.RootElement.GetProperty("brightnessPct").GetInt32())] = at;
    }

    private void OnEvent(DeviceEvent e, long at)
    {
        if (!e.DeviceId.StartsWith(Prefix, StringComparison.Ordinal) || !e.Changes.Contains(DeviceChanges.Reported)) return;
        if (!e.Twin.Properties.TryGetValue("brightnessPct", out var brightness) || brightness.Reported is not { } reported) return;
        if (!_published.TryRemove((e.DeviceId, reported.GetInt32()), out var publishedAt)) return;
        _latencies.Add(Observations.Milliseconds(publishedAt, at));
        _toEvent.Add(Observations.Milliseconds(publishedAt, e.At));
        _toBus.Add(Observations.Milliseconds(e.At, at));
        if (at >= _windowStart && at <= _windowEnd) Interlocked.Increment(ref _eventsInWindow);
    }

    /// <summary>Waits until every forwarded state has its event, or nothing arrived for 5 s; returns seconds waited.</summary>
    private async Task<double> DrainAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = (Count: -1, At: TimeSpan.Zero);
        while (_published.Count > 0 && clock.Elapsed - last.At < TimeSpan.FromSeconds(5))
        {
            if (_latencies.Count != last.Count) last = (_latencies.Count, clock.Elapsed);
            await Task.Delay(50, cancellationToken);
        }

        return clock.Elapsed.TotalSeconds;
    }

    private void Reset()
    {
        _published.Clear();
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
public sealed record StateResult(int Rate, double Seconds, long Sent, long Failed, long Reconnects, long EventsInWindow, LatencySample Latency,
    LatencySample ToEvent, LatencySample ToBus, int Unmatched, double DrainSeconds)
{
    public double DeliveredPerSecond => EventsInWindow / Seconds;
}
