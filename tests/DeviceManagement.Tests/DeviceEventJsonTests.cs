using System.Buffers;
using System.Text;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Events;
using DaprIoT.DeviceManagement.Live;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace DaprIoT.DeviceManagement.Tests;

/// <summary>
/// <see cref="DeviceEventJson"/>: what the service decides by is read out of a device event's JSON, the JSON itself goes
/// to browsers and the twin's to the read model exactly as published, and anything that is not a device event is refused.
/// </summary>
public sealed class DeviceEventJsonTests
{
    /// <summary>A device event as the service hears it.</summary>
    public static DeviceEventJson Of(DeviceEvent deviceEvent) =>
        DeviceEventJson.From(JsonSerializer.SerializeToElement(deviceEvent, ContractJson.Options)) ?? throw new InvalidOperationException("not a device event");

    [Fact]
    public void Reads_what_the_service_decides_by_and_keeps_the_event_and_its_twin_as_published()
    {
        var deviceEvent = Event(DeviceChanges.Reported, DeviceChanges.Desired);
        var published = JsonSerializer.SerializeToUtf8Bytes(deviceEvent, ContractJson.Options);

        var read = DeviceEventJson.From(JsonDocument.Parse(published).RootElement)!;

        Assert.Equal(("bulb-a", "alice", 7L, deviceEvent.At), (read.DeviceId, read.Owner, read.Version, read.At));
        Assert.Equal([DeviceChanges.Reported, DeviceChanges.Desired], read.Changes);
        Assert.Equal(new TwinHead(7, true, "alice"), read.Twin);
        Assert.False(read.Removed);
        Assert.False(read.Gone);
        Assert.Equal(published, read.Json.ToArray());
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(deviceEvent.Twin, ContractJson.Options), read.TwinJson.ToArray());
        Assert.Equal(JsonSerializer.Serialize(deviceEvent.Twin, ContractJson.Options), JsonSerializer.Serialize(read.ReadTwin(), ContractJson.Options));
    }

    [Fact]
    public void A_removal_removes_the_device_and_a_twin_no_longer_provisioned_leaves_it_gone()
    {
        var removal = Of(Event(DeviceChanges.Removed));
        Assert.True(removal.Removed);
        Assert.True(removal.Gone);

        var unprovisioned = Of(Event(DeviceChanges.Presence) with { Twin = Event().Twin with { Provisioned = false } });
        Assert.False(unprovisioned.Removed);
        Assert.True(unprovisioned.Gone);
        Assert.False(unprovisioned.Twin.Provisioned);

        Assert.False(Of(Event(DeviceChanges.Presence)).Gone);
    }

    [Fact]
    public void An_event_without_an_owner_has_none()
    {
        var read = Of(Event(DeviceChanges.Reported) with { Owner = null, Twin = Event().Twin with { Owner = null } });

        Assert.Null(read.Owner);
        Assert.Null(read.Twin.Owner);
    }

    private const string Valid = """{"deviceId":"bulb-a","version":1,"at":"2026-12-06T12:00:00+00:00","changes":["reported"],"twin":{"version":1,"provisioned":true}}""";

    [Fact]
    public void The_shortest_device_event_is_read()
    {
        Assert.NotNull(DeviceEventJson.From(JsonDocument.Parse(Valid).RootElement));
    }

    [Theory]
    [InlineData("""[]""")]
    [InlineData("""{"version":1,"at":"2026-12-06T12:00:00+00:00","changes":[],"twin":{"version":1,"provisioned":true}}""")]
    [InlineData("""{"deviceId":"","version":1,"at":"2026-12-06T12:00:00+00:00","changes":[],"twin":{"version":1,"provisioned":true}}""")]
    [InlineData("""{"deviceId":7,"version":1,"at":"2026-12-06T12:00:00+00:00","changes":[],"twin":{"version":1,"provisioned":true}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":"1","at":"2026-12-06T12:00:00+00:00","changes":[],"twin":{"version":1,"provisioned":true}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1.5,"at":"2026-12-06T12:00:00+00:00","changes":[],"twin":{"version":1,"provisioned":true}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1,"changes":[],"twin":{"version":1,"provisioned":true}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1,"at":"yesterday","changes":[],"twin":{"version":1,"provisioned":true}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1,"at":"2026-12-06T12:00:00+00:00","changes":null,"twin":{"version":1,"provisioned":true}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1,"at":"2026-12-06T12:00:00+00:00","changes":[3],"twin":{"version":1,"provisioned":true}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1,"at":"2026-12-06T12:00:00+00:00","changes":[]}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1,"at":"2026-12-06T12:00:00+00:00","changes":[],"twin":{"provisioned":true}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1,"at":"2026-12-06T12:00:00+00:00","changes":[],"twin":{"version":1}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1,"at":"2026-12-06T12:00:00+00:00","changes":[],"twin":{"version":1,"provisioned":true,"owner":5}}""")]
    [InlineData("""{"deviceId":"bulb-a","version":1,"at":"2026-12-06T12:00:00+00:00","changes":[],"twin":{"version":1,"provisioned":true},"owner":5}""")]
    public void What_is_not_a_device_event_is_refused(string json)
    {
        Assert.Null(DeviceEventJson.From(JsonDocument.Parse(json).RootElement));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DeviceEventJson>(json, ContractJson.Options));
    }

    [Fact]
    public void The_hub_sends_the_event_as_published()
    {
        // The hub's protocol with the payload options device-management gives it (Program.cs).
        var protocol = new JsonHubProtocol(Options.Create(new JsonHubProtocolOptions { PayloadSerializerOptions = new JsonSerializerOptions(ContractJson.Options) }));
        var deviceEvent = Event(DeviceChanges.Reported);
        var change = JsonSerializer.Deserialize<DeviceEventJson>(JsonSerializer.SerializeToUtf8Bytes(deviceEvent, ContractJson.Options), ContractJson.Options)!;

        var written = new ArrayBufferWriter<byte>();
        protocol.WriteMessage(new InvocationMessage(LiveConnections.DeviceChangedMethod, [change]), written);

        // A text frame ends with the record separator.
        var message = JsonDocument.Parse(Encoding.UTF8.GetString(written.WrittenSpan).TrimEnd('\u001e')).RootElement;
        Assert.Equal(LiveConnections.DeviceChangedMethod, message.GetProperty("target").GetString());
        Assert.Equal(JsonSerializer.Serialize(deviceEvent, ContractJson.Options), message.GetProperty("arguments")[0].GetRawText());
    }

    private static DeviceEvent Event(params string[] changes) =>
        new("bulb-a", "lightbulb", "alice", 7, new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero), changes,
            new DeviceTwinView("bulb-a", "lightbulb", true, "alice", "Desk", 7,
                new PresenceView(PresenceState.Online, 2, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 30, "1.0.0", null),
                new Dictionary<string, PropertyView>
                {
                    ["power"] = new(JsonDocument.Parse("true").RootElement, JsonDocument.Parse("false").RootElement, SyncStatus.Pending, "cmd-1", null),
                },
                [new CommandView("cmd-1", "set", new Dictionary<string, JsonElement> { ["power"] = JsonDocument.Parse("true").RootElement },
                    CommandStatus.Received, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null)],
                null));
}
