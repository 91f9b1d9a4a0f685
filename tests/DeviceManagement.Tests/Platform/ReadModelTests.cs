using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.TestSupport;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>
/// The read model kept from <c>device-events</c> on real Redis: events that come late, twice or after a removal leave
/// the newest twin, each change once in the timeline, and a removed device removed.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ReadModelTests(DeviceManagementPlatform platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Late_and_repeated_events_keep_the_newest_twin_and_each_change_once()
    {
        var (aliceId, aliceToken) = await platform.NewUserAsync();
        var alice = new UserSession(platform.Replica(0), aliceId, aliceToken);
        var deviceId = $"bulb-{Guid.NewGuid():N}"[..17];
        using var publisher = platform.Runtime.CreateDaprClient(AppIds.Auth);

        // As device services publish them (contract JSON), but out of order and twice.
        foreach (var (version, change) in new[] { (2L, DeviceChanges.Renamed), (1L, DeviceChanges.Provisioned), (2L, DeviceChanges.Renamed) })
            await PublishAsync(publisher, Event(deviceId, aliceId, version, change));

        // Not merely present: the two replicas may commit version 1 first, and version 2 a moment later over it.
        await Eventually.UntilAsync(_ => alice.GetAsync(deviceId), t => t?.Version == 2, "the device is in the read model at version 2",
            t => JsonSerializer.Serialize(t, ContractJson.Options), Patience, Ct);
        var timeline = await Eventually.UntilAsync(_ => TimelineAsync(alice, deviceId), t => t?.Events.Count == 2, "both changes are in the timeline",
            t => JsonSerializer.Serialize(t), Patience, Ct);
        // Read again once both are in: version 1, applied after version 2, must not have replaced it.
        var twin = await alice.GetAsync(deviceId);
        Assert.Equal(("Name v2", 2L), (twin!.Name, twin.Version));
        Assert.Equal([2L, 1L], timeline!.Events.Select(e => e.Version));
        Assert.Equal(deviceId, Assert.Single(await alice.ListAsync()).DeviceId);

        await PublishAsync(publisher, Event(deviceId, aliceId, 3, DeviceChanges.Removed));
        await Eventually.UntilAsync(_ => alice.ListAsync(), list => list.Count == 0, "the removed device is not listed",
            list => JsonSerializer.Serialize(list, ContractJson.Options), Patience, Ct);
        // A late event from before the removal does not bring it back.
        await PublishAsync(publisher, Event(deviceId, aliceId, 2, DeviceChanges.Renamed));
        await Task.Delay(500, Ct);

        Assert.Empty(await alice.ListAsync());
        Assert.Null(await alice.GetAsync(deviceId));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.SendAsync(HttpMethod.Get, $"/api/devices/{deviceId}/events")).StatusCode);
    }

    private static Task PublishAsync(Dapr.Client.DaprClient publisher, DeviceEvent deviceEvent) =>
        publisher.PublishEventAsync(ComponentNames.PubSub, Topics.DeviceEvents, JsonSerializer.SerializeToElement(deviceEvent, ContractJson.Options), Ct);

    private static DeviceEvent Event(string deviceId, string owner, long version, string change) =>
        new(deviceId, "lightbulb", owner, version, DateTimeOffset.UtcNow, [change],
            new DeviceTwinView(deviceId, "lightbulb", change != DeviceChanges.Removed, owner, $"Name v{version}", version,
                new PresenceView(PresenceState.Unknown, 0, null, null, null, null, null), new Dictionary<string, PropertyView>(), [], null));

    private static async Task<DeviceEvents?> TimelineAsync(UserSession session, string deviceId)
    {
        var response = await session.SendAsync(HttpMethod.Get, $"/api/devices/{deviceId}/events");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<DeviceEvents>(Ct) : null;
    }
}
