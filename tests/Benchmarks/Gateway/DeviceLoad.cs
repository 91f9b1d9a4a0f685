using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.Benchmarks.Gateway;

/// <summary>
/// Devices end to end: light bulbs added by their users through device-management's REST API (device <c>i</c> by user
/// <c>i mod users</c>, so each connected browser owns its share), then <c>state</c> messages published for them as the
/// devices publish them — QoS 1, the device's next <c>seq</c>, a new brightness — through Mosquitto with the
/// broker's admin login (one connection instead of one per device; the path after the broker is the same), to the
/// lightbulb service's MQTT binding, its actor, <c>device-events</c> and the gateway. A state is matched by the
/// brightness its device's twin reports.
/// </summary>
public sealed class DeviceLoad : IAsyncDisposable
{
    private readonly GatewayPlatform _platform;
    private readonly string[] _ids;
    private readonly uint[] _seq;
    private readonly SemaphoreSlim _reconnecting = new(1, 1);
    private MqttTestClient _publisher;
    private int _next;
    private long _failed;
    private long _reconnects;

    private DeviceLoad(GatewayPlatform platform, string[] ids, MqttTestClient publisher)
    {
        _platform = platform;
        _ids = ids;
        _seq = new uint[ids.Length];
        _publisher = publisher;
    }

    public IReadOnlyDictionary<string, int> DeviceIndex => _ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);

    public long Failed => Interlocked.Read(ref _failed);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>The reported brightness of a light bulb's change that reported one.</summary>
    public static long? ValueOf(DeviceEvent change) =>
        change.Changes.Contains(DeviceChanges.Reported) && change.Twin.Properties.TryGetValue("brightnessPct", out var brightness)
        && brightness.Reported is { ValueKind: JsonValueKind.Number } reported ? reported.GetInt32() : null;

    /// <summary>Adds the devices through the REST API, <paramref name="concurrency"/> at a time; returns them and the seconds it took.</summary>
    public static async Task<(DeviceLoad Load, double Seconds)> ProvisionAsync(GatewayPlatform platform, int devices, int users, int concurrency, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var ids = new string[devices];
        using var gate = new SemaphoreSlim(concurrency);
        var apis = new Dictionary<int, HttpClient>();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, devices).Select(async i =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    HttpClient api;
                    lock (apis)
                        if (!apis.TryGetValue(i % users, out api!)) apis[i % users] = api = platform.Api(Browsers.UserId(i % users));
                    for (var attempt = 1; ; attempt++)
                    {
                        using var response = await api.PostAsJsonAsync("/api/devices", new { type = "lightbulb", name = $"bench bulb {i}" }, ct);
                        if (response.IsSuccessStatusCode)
                        {
                            ids[i] = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("deviceId").GetString()!;
                            return;
                        }

                        if (attempt == 3) throw new InvalidOperationException($"adding device {i} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        finally
        {
            foreach (var api in apis.Values) api.Dispose();
        }

        var (user, password) = platform.BrokerAdmin;
        var publisher = await MqttTestClient.ConnectAsync(platform.BrokerPort, "gwbench-states", user, password, ct);
        return (new DeviceLoad(platform, ids, publisher), clock.Elapsed.TotalSeconds);
    }

    public Task<double> RunAsync(int rate, TimeSpan duration, Deliveries? deliveries, CancellationToken ct) =>
        OpenLoop.RunAsync(rate, duration, count => Task.WhenAll(Enumerable.Range(0, count).Select(_ => PublishNextAsync(deliveries, ct))), ct);

    private async Task PublishNextAsync(Deliveries? deliveries, CancellationToken ct)
    {
        var i = _next;
        _next = (_next + 1) % _ids.Length;
        var seq = ++_seq[i];
        // Brightness 0–100 in turn: a device's next state always differs from its last, so its twin changes.
        var brightness = (int)(seq % 101);
        var payload = string.Create(CultureInfo.InvariantCulture, $"{{\"boot\":1,\"seq\":{seq},\"power\":true,\"brightnessPct\":{brightness},\"colorTempK\":4000}}");
        deliveries?.Publishing(i, brightness, Stopwatch.GetTimestamp());
        try
        {
            await _publisher.PublishAsync($"dapriot/lightbulb/{_ids[i]}/state", payload, ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // Includes a publish whose acknowledgement timed out, which MQTTnet reports as a cancellation.
            Interlocked.Increment(ref _failed);
            deliveries?.Failed(i, brightness);
            await ReconnectAsync(ct);
        }
    }

    /// <summary>MQTTnet closes the connection after a publish whose acknowledgement timed out (a busy broker): open a new one so the load goes on.</summary>
    private async Task ReconnectAsync(CancellationToken ct)
    {
        await _reconnecting.WaitAsync(ct);
        try
        {
            if (_publisher.IsConnected) return;
            await _publisher.DisposeAsync();
            var (user, password) = _platform.BrokerAdmin;
            _publisher = await MqttTestClient.ConnectAsync(_platform.BrokerPort, "gwbench-states", user, password, ct);
            Interlocked.Increment(ref _reconnects);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // The broker is too busy to take the connection now; the next failed publish tries again.
        }
        finally
        {
            _reconnecting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _publisher.DisposeAsync();
        _reconnecting.Dispose();
    }
}
