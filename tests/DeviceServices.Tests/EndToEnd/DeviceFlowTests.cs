using System.Text.Json;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.DeviceServices.Tests.EndToEnd;

/// <summary>
/// Firmware devices, Mosquitto, dapr-local and the device services, end to end: what a device reports reaches its
/// twin and the bus, and what a user asks for reaches the device.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DeviceFlowTests
{
    [Theory]
    [InlineData(Bus.Redis)]
    [InlineData(Bus.RabbitMQ)]
    public async Task State_and_telemetry_of_a_bulb_reach_its_twin_and_the_bus(Bus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(bus, ct);
        var credentials = await platform.ProvisionAsync("lightbulb", "bulb-", 3, owner: "alice");
        await platform.StartDevicesAsync("lightbulb", "bulb-", credentials, ct, "--telemetry-interval", "200");

        foreach (var id in credentials.Keys)
        {
            var twin = await platform.TwinUntilAsync("lightbulb", id,
                t => t.Presence is { Status: PresenceState.Online, Firmware: not null } && t.Properties.ContainsKey("power") && t.Properties["power"].Reported is not null,
                $"{id} is online (its birth message too) with its reported state", ct);
            Assert.Equal("alice", twin.Owner);
            Assert.Equal(SyncStatus.Applied, twin.Properties["brightnessPct"].Status);
            Assert.Equal(30, twin.Presence.HeartbeatS);
        }

        var events = await Eventually(() => platform.Recorder.EventsOf("bulb-2"),
            e => e.Any(x => x.Changes.Contains(DeviceChanges.Reported)), "a device event with bulb-2's reported state", ct);
        var reported = events.Last(e => e.Changes.Contains(DeviceChanges.Reported));
        Assert.Equal("alice", reported.Owner);
        Assert.Equal("lightbulb", reported.DeviceType);
        // The bus delivers concurrently, not in order: each change has a version of its own, whatever order they arrive in.
        Assert.Equal(events.Count, events.Select(e => e.Version).Distinct().Count());

        var telemetry = await Eventually(() => platform.Recorder.TelemetryOf("bulb-3"), t => t.Count >= 5, "5 telemetry readings of bulb-3", ct);
        Assert.All(telemetry, t => Assert.NotNull(t.PowerMw));
        Assert.Equal(telemetry.Count, telemetry.Select(t => (t.Boot, t.Seq)).Distinct().Count());
    }

    [Theory]
    [InlineData(Bus.Redis)]
    [InlineData(Bus.RabbitMQ)]
    public async Task A_command_reaches_the_device_is_acknowledged_and_desired_and_reported_converge(Bus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(bus, ct);
        var credentials = await platform.ProvisionAsync("lightbulb", "lamp-", 1);
        await platform.StartDevicesAsync("lightbulb", "lamp-", credentials, ct);
        await platform.TwinUntilAsync("lightbulb", "lamp-1", t => t.Properties.ContainsKey("power"), "lamp-1 reports its state", ct);

        var result = await platform.LightBulb("lamp-1").SetDesired(new LightBulbDesired(Power: true, BrightnessPct: 42, ColorTempK: 5000));
        Assert.True(result.Ok);

        var twin = await platform.TwinUntilAsync("lightbulb", "lamp-1",
            t => t.Commands.Any(c => c.Id == result.CommandId && c.Status == CommandStatus.Applied), "the command is applied", ct);
        Assert.Equal(42, twin.Properties["brightnessPct"].Reported!.Value.GetInt32());
        Assert.Equal(5000, twin.Properties["colorTempK"].Reported!.Value.GetInt32());
        Assert.True(twin.Properties["power"].Reported!.Value.GetBoolean());
        Assert.All(twin.Properties.Values, p => Assert.Equal(SyncStatus.Applied, p.Status));
        Assert.Equal(1, twin.Commands.Single(c => c.Id == result.CommandId).Attempts);

        // The bus told the whole story: desired pending, and applied (the bus delivers concurrently, so in either order).
        await Eventually(() => platform.Recorder.EventsOf("lamp-1"),
            e => e.Any(x => x.Twin.Commands.Any(c => c.Id == result.CommandId && c.Status == CommandStatus.Applied))
                && e.Any(x => x.Changes.Contains(DeviceChanges.Desired) && x.Twin.Properties["brightnessPct"].Status == SyncStatus.Pending),
            "events with the command pending and applied", ct);
    }

    [Fact]
    public async Task Invalid_patches_are_refused_naming_the_field_and_the_allowed_values()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
        await platform.ProvisionAsync("sousvide", "pot-", 1);

        var result = await platform.SousVide("pot-1").SetDesired(new SousVideDesired(TargetTempC: 95.05m));
        Assert.False(result.Ok);
        Assert.Equal("targetTempC", Assert.Single(result.Errors).Field);
        Assert.Contains("20.0 to 95.0", result.Errors[0].Message);

        var program = await platform.SousVide("pot-1").StartProgram(new StartProgramRequest(19.9m, 0));
        Assert.Equal(["targetTempC", "durationS"], program.Errors.Select(e => e.Field));

        var unknown = await platform.LightBulb("nobody").SetDesired(new LightBulbDesired(Power: true));
        Assert.Equal("deviceId", Assert.Single(unknown.Errors).Field);
        Assert.False((await platform.LightBulb("nobody").GetTwin()).Provisioned);
    }

    private static async Task<IReadOnlyList<T>> Eventually<T>(Func<IReadOnlyList<T>> observe, Func<IReadOnlyList<T>, bool> done, string what, CancellationToken ct) =>
        await TestSupport.Eventually.UntilAsync(_ => Task.FromResult(observe()), done, what,
            seen => $"{seen.Count} items: " + JsonSerializer.Serialize(seen.TakeLast(3)), TimeSpan.FromSeconds(20), ct);
}
