using System.Diagnostics.Metrics;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins;
using DaprIoT.DeviceTwins.Ingestion;
using DaprIoT.DeviceTwins.Twin;
using DaprIoT.LightBulb;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DaprIoT.DeviceServices.Tests.Ingestion;

/// <summary>
/// A commanded device's state and ack reach its actor in one call when they come within the window of each other, in
/// the order the device sent them; everything else goes at once, or alone once the window has passed.
/// </summary>
public sealed class ReportPairingTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(5);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new();
    private readonly List<DeviceReport[]> _calls = [];
    private readonly MetricCollector<long> _pairs;

    public ReportPairingTests()
    {
        _pairs = new MetricCollector<long>(_services.GetRequiredService<IMeterFactory>(), DeviceMetrics.MeterName, "dapriot.device.report.pairs");
    }

    public void Dispose() => _services.Dispose();

    private ReportPairing Pairing(TimeSpan? window = null) =>
        new(_time, Options.Create(new IngestionOptions { ReportPairingWindow = window ?? Window }), new LightBulbModel(),
            new DeviceMetrics(_services.GetRequiredService<IMeterFactory>()));

    private long Counted(string outcome) =>
        _pairs.GetMeasurementSnapshot().Where(m => (string?)m.Tags["outcome"] == outcome).Sum(m => m.Value);

    /// <summary>The actor: answers each report with an outcome naming its kind, so a test sees which result went where.</summary>
    private Task<IngestResult[]> Actor(DeviceReport[] reports)
    {
        lock (_calls) _calls.Add(reports);
        return Task.FromResult(reports.Select(r => new IngestResult(IngestOutcome.Applied, WireNames.Of(r.Kind))).ToArray());
    }

    private static DeviceReport Report(MessageKind kind) => new(kind, "{}", DateTimeOffset.UnixEpoch);

    [Theory]
    [InlineData(MessageKind.Ack)]
    [InlineData(MessageKind.State)]
    public async Task A_commanded_devices_state_and_ack_go_in_one_call_in_the_order_it_sent_them(MessageKind first)
    {
        var pairing = Pairing();
        pairing.CommandSent("bulb-1");
        var second = first == MessageKind.Ack ? MessageKind.State : MessageKind.Ack;
        // The device sent its state (seq 5) before its ack (seq 6); the binding may deliver either first.
        var order = new Dictionary<MessageKind, MessageOrder> { [MessageKind.State] = new(1, 5), [MessageKind.Ack] = new(1, 6) };

        var waiting = pairing.IngestAsync("bulb-1", Report(first), order[first], mayPair: true, Actor);
        Assert.False(waiting.IsCompleted);
        Assert.Empty(_calls);
        var taking = await pairing.IngestAsync("bulb-1", Report(second), order[second], mayPair: true, Actor);

        var call = Assert.Single(_calls);
        Assert.Equal([MessageKind.State, MessageKind.Ack], call.Select(r => r.Kind));
        Assert.Equal(WireNames.Of(second), taking.Reason);
        Assert.Equal(WireNames.Of(first), (await waiting).Reason);
        Assert.Equal(1, Counted("paired"));
    }

    [Fact]
    public async Task A_report_whose_partner_does_not_come_goes_alone_once_the_window_has_passed()
    {
        var pairing = Pairing();
        pairing.CommandSent("bulb-1");

        var waiting = pairing.IngestAsync("bulb-1", Report(MessageKind.Ack), new MessageOrder(1, 6), mayPair: true, Actor);
        _time.Advance(Window - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("ack", (await waiting).Reason);
        Assert.Single(Assert.Single(_calls));
        Assert.Equal(1, Counted("unpaired"));
        // The ack came: the device's next state is its own again, and goes at once.
        var state = pairing.IngestAsync("bulb-1", Report(MessageKind.State), new MessageOrder(1, 7), mayPair: true, Actor);
        Assert.True(state.IsCompleted);
    }

    [Fact]
    public async Task The_state_of_a_device_not_commanded_and_presence_go_at_once()
    {
        var pairing = Pairing();
        Assert.True(pairing.IngestAsync("bulb-1", Report(MessageKind.State), new MessageOrder(1, 5), mayPair: true, Actor).IsCompleted);
        pairing.CommandSent("bulb-1");
        Assert.True(pairing.IngestAsync("bulb-1", Report(MessageKind.Presence), new MessageOrder(1, 6), mayPair: true, Actor).IsCompleted);
        await Task.Yield();
        Assert.Equal(2, _calls.Count);
    }

    [Fact]
    public async Task A_command_sent_long_ago_is_not_waited_for()
    {
        var pairing = Pairing();
        pairing.CommandSent("bulb-1");
        _time.Advance(ReportPairing.AckExpectedFor);

        var state = pairing.IngestAsync("bulb-1", Report(MessageKind.State), new MessageOrder(1, 5), mayPair: true, Actor);

        Assert.True(state.IsCompleted);
        Assert.Single(_calls);
        await state;
    }

    [Fact]
    public async Task A_refused_commands_ack_goes_at_once_and_still_takes_a_waiting_state_along()
    {
        var pairing = Pairing();
        pairing.CommandSent("bulb-1");
        Assert.True(pairing.IngestAsync("bulb-1", Report(MessageKind.Ack), new MessageOrder(1, 6), mayPair: false, Actor).IsCompleted);

        pairing.CommandSent("bulb-1");
        var state = pairing.IngestAsync("bulb-1", Report(MessageKind.State), new MessageOrder(1, 7), mayPair: true, Actor);
        await pairing.IngestAsync("bulb-1", Report(MessageKind.Ack), new MessageOrder(1, 8), mayPair: false, Actor);

        Assert.Equal("state", (await state).Reason);
        Assert.Equal([1, 2], _calls.Select(c => c.Length));
    }

    [Fact]
    public async Task When_the_actor_call_for_the_pair_fails_both_reports_fail_with_its_error()
    {
        var pairing = Pairing();
        pairing.CommandSent("bulb-1");
        var failure = new HttpRequestException("the sidecar is away");

        var waiting = pairing.IngestAsync("bulb-1", Report(MessageKind.Ack), new MessageOrder(1, 6), mayPair: true, Actor);
        var taking = pairing.IngestAsync("bulb-1", Report(MessageKind.State), new MessageOrder(1, 5), mayPair: true,
            _ => Task.FromException<IngestResult[]>(failure));

        Assert.Same(failure, await Assert.ThrowsAsync<HttpRequestException>(() => taking));
        Assert.Same(failure, await Assert.ThrowsAsync<HttpRequestException>(() => waiting));
        // Both are delivered again; the device is still awaited, so they pair again.
        var again = pairing.IngestAsync("bulb-1", Report(MessageKind.Ack), new MessageOrder(1, 6), mayPair: true, Actor);
        Assert.False(again.IsCompleted);
        await pairing.IngestAsync("bulb-1", Report(MessageKind.State), new MessageOrder(1, 5), mayPair: true, Actor);
        Assert.Equal(2, Assert.Single(_calls).Length);
        await again;
    }

    [Fact]
    public async Task A_window_of_zero_pairs_nothing()
    {
        var pairing = Pairing(TimeSpan.Zero);
        pairing.CommandSent("bulb-1");

        Assert.True(pairing.IngestAsync("bulb-1", Report(MessageKind.Ack), new MessageOrder(1, 6), mayPair: true, Actor).IsCompleted);
        Assert.True(pairing.IngestAsync("bulb-1", Report(MessageKind.State), new MessageOrder(1, 5), mayPair: true, Actor).IsCompleted);
        await Task.Yield();
        Assert.Equal(2, _calls.Count);
    }
}
