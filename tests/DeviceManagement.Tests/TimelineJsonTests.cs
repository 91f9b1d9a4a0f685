using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Events;
using DaprIoT.DeviceManagement.ReadModel;

namespace DaprIoT.DeviceManagement.Tests;

/// <summary>
/// <see cref="TimelineJson"/> adds a change to a stored timeline as the typed timeline would have it: newest first, each
/// version once, the oldest falling off; and what it writes reads back as <see cref="DeviceTimeline"/>.
/// </summary>
public sealed class TimelineJsonTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 12, 0, 0, 123, TimeSpan.FromHours(1));

    [Fact]
    public void The_first_change_starts_the_timeline_as_the_contract_writes_it()
    {
        var written = TimelineJson.WithChange(null, Change(1), length: 3)!;

        var expected = new DeviceTimeline([new TimelineEntry(1, Start.AddSeconds(1), [DeviceChanges.Reported, DeviceChanges.Desired])]);
        Assert.Equal(JsonSerializer.Serialize(expected, ContractJson.Options), System.Text.Encoding.UTF8.GetString(written));
    }

    [Fact]
    public void Changes_go_in_version_order_once_and_the_oldest_fall_off()
    {
        var timeline = Apply(null, 5, 2, 9, 5, 7, 1, 8);

        Assert.Equal([9L, 8, 7], Versions(timeline));
        Assert.Null(TimelineJson.WithChange(timeline, Change(7), length: 3));     // there already
        Assert.Null(TimelineJson.WithChange(timeline, Change(6), length: 3));     // older than a full timeline's oldest
    }

    [Fact]
    public void Any_order_of_changes_gives_the_timeline_the_typed_timeline_gave()
    {
        var random = new Random(11);
        for (var run = 0; run < 200; run++)
        {
            var versions = Enumerable.Range(0, random.Next(1, 12)).Select(_ => (long)random.Next(1, 15)).ToList();
            byte[]? stored = null;
            DeviceTimeline? typed = null;
            foreach (var version in versions)
            {
                stored = TimelineJson.WithChange(stored, Change(version), length: 4) ?? stored;
                typed = Typed(typed, Change(version), length: 4) ?? typed;
            }

            Assert.Equal(JsonSerializer.Serialize(typed, ContractJson.Options), System.Text.Encoding.UTF8.GetString(stored!));
        }
    }

    [Theory]
    [InlineData("""[]""")]
    [InlineData("""{"events":{}}""")]
    [InlineData("""{"events":[{"at":"2026-12-06T12:00:00+00:00","changes":[]}]}""")]
    [InlineData("""{"events":[{"version":"3"}]}""")]
    public void A_stored_timeline_that_is_none_is_refused(string stored)
    {
        Assert.Throws<JsonException>(() => TimelineJson.WithChange(System.Text.Encoding.UTF8.GetBytes(stored), Change(1), length: 3));
    }

    /// <summary>What the read model did with typed timelines: the oracle.</summary>
    private static DeviceTimeline? Typed(DeviceTimeline? timeline, DeviceEventJson deviceEvent, int length)
    {
        var events = timeline?.Events ?? [];
        if (events.Any(e => e.Version == deviceEvent.Version)) return null;
        if (events.Count >= length && events[^1].Version > deviceEvent.Version) return null;
        return new DeviceTimeline([.. events.Append(new TimelineEntry(deviceEvent.Version, deviceEvent.At, deviceEvent.Changes))
            .OrderByDescending(e => e.Version).Take(length)]);
    }

    private static byte[]? Apply(byte[]? stored, params long[] versions)
    {
        foreach (var version in versions) stored = TimelineJson.WithChange(stored, Change(version), length: 3) ?? stored;
        return stored;
    }

    private static long[] Versions(byte[]? timeline) =>
        [.. JsonSerializer.Deserialize<DeviceTimeline>(timeline, ContractJson.Options)!.Events.Select(e => e.Version)];

    private static DeviceEventJson Change(long version) =>
        DeviceEventJsonTests.Of(new DeviceEvent("bulb-a", "lightbulb", "alice", version, Start.AddSeconds(version), [DeviceChanges.Reported, DeviceChanges.Desired],
            new DeviceTwinView("bulb-a", "lightbulb", true, "alice", "Desk", version,
                new PresenceView(PresenceState.Unknown, 0, null, null, null, null, null), new Dictionary<string, PropertyView>(), [], null)));
}
