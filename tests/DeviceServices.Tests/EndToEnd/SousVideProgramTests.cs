using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.DeviceServices.Tests.EndToEnd;

/// <summary>Cooking programs end on time, with or without the cooker, across restarts of the service and the runtime.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class SousVideProgramTests
{
    [Fact]
    public async Task A_program_the_cooker_finishes_is_recorded_as_completed_by_the_device()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
        var credentials = await platform.ProvisionAsync("sousvide", "pot-", 1);
        await platform.StartDevicesAsync("sousvide", "pot-", credentials, ct, "--sim-speed", "100");
        await platform.TwinUntilAsync("sousvide", "pot-1", t => t.Properties.ContainsKey("waterTempC"), "pot-1 reports its state", ct);

        var start = await platform.SousVide("pot-1").StartProgram(new StartProgramRequest(25.0m, 300));
        Assert.True(start.Ok);

        var twin = await platform.TwinUntilAsync("sousvide", "pot-1", t => t.Program?.Status == ProgramStatus.Completed,
            "the cooker reports the program done", ct, TimeSpan.FromSeconds(40));
        Assert.Equal("device", twin.Program!.EndedBy);
        Assert.Equal("done", twin.Program.Phase);
        Assert.False(twin.Properties["heater"].Reported!.Value.GetBoolean());
    }

    [Fact]
    public async Task A_program_ends_on_time_after_the_service_and_the_runtime_were_killed_and_restarted_while_the_cooker_is_silent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct, new Dictionary<string, string>
        {
            // The platform allows the cooker 3 s to reach its target before it would end the program itself.
            ["Twins__PreheatAllowance"] = "00:00:03",
            ["Twins__TakeoverGrace"] = "00:00:00.100",
        });
        var credentials = await platform.ProvisionAsync("sousvide", "pot-", 1);
        // A short heartbeat, so the platform also finds the cooker silent by itself (3 × 2 s) within the test.
        var cooker = await platform.StartDevicesAsync("sousvide", "pot-", credentials, ct, "--boot", "200", "--heartbeat", "2");
        await platform.TwinUntilAsync("sousvide", "pot-1", t => t.Properties.ContainsKey("waterTempC"), "pot-1 reports its state", ct);

        var start = await platform.SousVide("pot-1").StartProgram(new StartProgramRequest(80.0m, 10));
        await platform.TwinUntilAsync("sousvide", "pot-1", t => t.Commands.Any(c => c.Id == start.CommandId && c.Status == CommandStatus.Applied),
            "the cooker takes the program", ct);

        // The cooker dies mid-program (heater on); then the sousvide service, the runtime and everything it runs
        // are killed at once, and the runtime is started again.
        await cooker.KillAsync();
        await platform.Runtime.KillAsync();
        await platform.Runtime.RestartAsync(ct);

        var twin = await platform.TwinUntilAsync("sousvide", "pot-1", t => t.Program?.Status == ProgramStatus.Completed,
            "the platform ends the program at its end time", ct, TimeSpan.FromSeconds(40));
        Assert.Equal("platform", twin.Program!.EndedBy);
        // Offline by the cooker's last will, or by its missed heartbeats: the broker died with the runtime, and a will it
        // had not handed on yet died with it.
        twin = await platform.TwinUntilAsync("sousvide", "pot-1", t => t.Presence.Status == PresenceState.Offline,
            "the silent cooker is marked offline", ct, TimeSpan.FromSeconds(40));
        var off = Assert.Single(twin.Commands, c => c.Status == CommandStatus.Pending);
        Assert.False(off.Values["heater"].GetBoolean());
        Assert.False(twin.Properties["heater"].Desired!.Value.GetBoolean());

        // When the cooker comes back (it starts with its heater off), the resync carries the off and it is applied.
        await platform.StartDevicesAsync("sousvide", "pot-", credentials, ct, "--boot", "201");
        twin = await platform.TwinUntilAsync("sousvide", "pot-1",
            t => t.Commands.Any(c => c.Status == CommandStatus.Applied && c.Values.ContainsKey("heater") && !c.Values["heater"].GetBoolean()),
            "the returning cooker takes the heater off", ct);
        Assert.False(twin.Properties["heater"].Reported!.Value.GetBoolean());
        Assert.DoesNotContain(twin.Commands, c => c.Status == CommandStatus.Pending);
    }
}
