using System.Net.Http.Json;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.DeviceServices.Tests.EndToEnd;

/// <summary>
/// A device's message whose actor turn failed because the bus refused its event: the binding delivers it again, and
/// the change is applied, told and saved then, not taken for one applied already.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RefusedEventTests
{
    [Fact]
    public async Task A_report_whose_event_the_bus_refused_is_applied_published_and_saved_when_the_binding_delivers_it_again()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.RabbitMQ, ct);
        var credentials = await platform.ProvisionAsync("lightbulb", "refused-", 1);
        var device = await platform.StartDevicesAsync("lightbulb", "refused-", credentials, ct);
        await platform.TwinUntilAsync("lightbulb", "refused-1", t => t.Properties.ContainsKey("power"), "refused-1 reports its state", ct);

        // The command is issued (and its event published) while the bulb sleeps; its ack and new state come while the
        // bus refuses every device event, so both of their actor turns fail and the binding holds them.
        await device.PauseAsync();
        var command = await platform.LightBulb("refused-1").SetDesired(new LightBulbDesired(BrightnessPct: 9));
        Assert.True(command.Ok);
        var refusal = await platform.RefuseDeviceEventsAsync(ct);
        try
        {
            await device.ResumeAsync();
            await TestSupport.Eventually.UntilAsync(_ => platform.MessagesCountedAsync("lightbulb", ct, "kind=\"state\"", "outcome=\"failed\""),
                failed => failed >= 1, "the state's actor turn fails", failed => $"{failed} failed", TimeSpan.FromSeconds(20), ct);
            // A turn that failed is not the twin's: what was saved is what a reader sees.
            var meanwhile = await platform.LightBulb("refused-1").GetTwin();
            Assert.NotEqual(9, meanwhile.Properties["brightnessPct"].Reported?.GetInt32());
        }
        finally
        {
            await refusal.DisposeAsync();
        }

        // The binding delivers the held messages again (every 5 s, as the components ask): this time they are applied,
        // and told.
        var applied = await TestSupport.Eventually.UntilAsync(
            _ => Task.FromResult(platform.Recorder.EventsOf("refused-1").FirstOrDefault(e =>
                e.Twin.Commands.Any(c => c.Id == command.CommandId && c.Status == CommandStatus.Applied))),
            e => e is not null, "the bus carries the command's Applied event",
            _ => string.Join(" | ", platform.Recorder.EventsOf("refused-1").Select(e =>
                $"v{e.Version} {string.Join(",", e.Changes)}: {string.Join(",", e.Twin.Commands.Select(c => $"{c.Id} {c.Status}"))}")),
            TimeSpan.FromSeconds(30), ct);
        Assert.Equal(9, applied!.Twin.Properties["brightnessPct"].Reported?.GetInt32());
        Assert.Equal(0, await platform.MessagesCountedAsync("lightbulb", ct, "kind=\"state\"", "outcome=\"duplicate\""));

        // And saved: the actor's state as the sidecar holds it.
        var saved = await platform.Runtime.Client.GetFromJsonAsync<JsonElement>(
            $"{platform.Runtime.SidecarUrl("lightbulb")}/v1.0/actors/{ActorTypes.LightBulb}/refused-1/state/twin", ct);
        Assert.Equal(9, saved.GetProperty("properties").GetProperty("brightnessPct").GetProperty("reported").GetInt32());
        Assert.Contains(saved.GetProperty("commands").EnumerateArray(),
            c => c.GetProperty("id").GetString() == command.CommandId && c.GetProperty("status").GetString() == "applied");
    }
}
