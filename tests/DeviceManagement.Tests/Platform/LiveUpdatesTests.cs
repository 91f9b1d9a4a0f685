using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>The device hub on two replicas: a snapshot first, then newer changes, pushed by whichever replica holds the connection.</summary>
[Collection(PlatformCollection.Name)]
public sealed class LiveUpdatesTests(DeviceManagementPlatform platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_change_reaches_the_owners_connections_on_both_replicas_and_no_one_elses()
    {
        var (aliceId, aliceToken) = await platform.NewUserAsync();
        var (_, bobToken) = await platform.SharedUserAsync("bob");
        var alice = new UserSession(platform.Replica(0), aliceId, aliceToken);
        var bulb = await alice.AddAsync("lightbulb", "Hall");
        await using var onFirst = await HubClient.ConnectAsync(platform.ReplicaUrl(0), aliceToken);
        await using var onSecond = await HubClient.ConnectAsync(platform.ReplicaUrl(1), aliceToken);
        await using var bob = await HubClient.ConnectAsync(platform.ReplicaUrl(1), bobToken);

        // Through the hub of one replica; the change comes back through the bus to both.
        var accepted = await onSecond.Connection.InvokeAsync<JsonElement>("SetDesired", bulb.DeviceId, new { colorTempK = 3000 }, Ct);
        var commandId = accepted.GetProperty("commandId").GetString();

        foreach (var client in new[] { onFirst, onSecond })
        {
            await client.UntilAsync(messages => messages.Any(m => m.Change is { } c && c.DeviceId == bulb.DeviceId
                && c.Twin.Properties.GetValueOrDefault("colorTempK")?.CommandId == commandId), "the desired colour temperature arrives");
            var snapshotVersion = Assert.Single(client.Messages[0].Snapshot!.Devices).Version;
            Assert.All(client.Changes(bulb.DeviceId), c => Assert.True(c.Version > snapshotVersion));
            Assert.Equal(alice.UserId, client.Changes(bulb.DeviceId).Last().Owner);
        }

        Assert.DoesNotContain(bob.Messages, m => m.Change is not null);
    }

    [Fact]
    public async Task A_connection_gets_its_snapshot_first_then_only_newer_versions_in_order()
    {
        var (aliceId, aliceToken) = await platform.NewUserAsync();
        var alice = new UserSession(platform.Replica(1), aliceId, aliceToken);
        var bulb = await alice.AddAsync("lightbulb", "Porch");
        var cooker = await alice.AddAsync("sousvide", "Slow cooker");
        await using var hub = HubClient.Unstarted(platform.ReplicaUrl(0), aliceToken);

        // Changes keep coming while the connection starts: none may come before the snapshot, or older than it.
        using var busy = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var brightness = 1; !busy.IsCancellationRequested && brightness <= 60; brightness++)
            {
                await alice.SetDesiredAsync(bulb.DeviceId, new { brightnessPct = brightness });
                await Task.Delay(20, CancellationToken.None);
            }
        }, CancellationToken.None);
        await Task.Delay(200, Ct);
        await hub.Connection.StartAsync(Ct);
        await hub.UntilAsync(messages => messages.Count > 0, "the snapshot arrives");
        await Task.Delay(500, Ct);
        await busy.CancelAsync();
        await writer;
        var last = (await alice.SetDesiredAsync(bulb.DeviceId, new { brightnessPct = 99 }));

        var messages = await hub.UntilAsync(m => m.Any(x => x.Change?.Twin.Properties.GetValueOrDefault("brightnessPct")?.CommandId == last),
            "the last change arrives");
        var snapshot = messages[0].Snapshot;
        Assert.NotNull(snapshot);
        Assert.Equal([bulb.DeviceId, cooker.DeviceId], snapshot.Devices.Select(d => d.DeviceId).Order(StringComparer.Ordinal));
        Assert.All(messages.Skip(1), m => Assert.Null(m.Snapshot));
        var versions = hub.Changes(bulb.DeviceId).Select(c => c.Version).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions.Distinct().Count(), versions.Count);
        Assert.True(versions[0] > snapshot.Devices.Single(d => d.DeviceId == bulb.DeviceId).Version);
    }

    [Fact]
    public async Task A_removed_device_arrives_as_removed_and_a_bad_patch_is_named_in_the_hub_exception()
    {
        var (aliceId, aliceToken) = await platform.NewUserAsync();
        var alice = new UserSession(platform.Replica(0), aliceId, aliceToken);
        var bulb = await alice.AddAsync("lightbulb", "Garage");
        await using var hub = await HubClient.ConnectAsync(platform.ReplicaUrl(1), aliceToken);

        var invalid = await Assert.ThrowsAsync<HubException>(() =>
            hub.Connection.InvokeAsync<JsonElement>("SetDesired", bulb.DeviceId, new { brightnessPct = 101, heater = true }, Ct));
        Assert.Contains("brightnessPct", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("heater", invalid.Message, StringComparison.Ordinal);
        var notACooker = await Assert.ThrowsAsync<HubException>(() =>
            hub.Connection.InvokeAsync<JsonElement>("StartProgram", bulb.DeviceId, new { targetTempC = 56.5, durationS = 60 }, Ct));
        Assert.Contains("deviceId", notACooker.Message, StringComparison.Ordinal);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await alice.SendAsync(HttpMethod.Delete, $"/api/devices/{bulb.DeviceId}")).StatusCode);

        await hub.UntilAsync(m => m.Any(x => x.Change is { } c && c.DeviceId == bulb.DeviceId && c.Changes.Contains(DeviceChanges.Removed)),
            "the removal arrives");
        var snapshot = await hub.Connection.InvokeAsync<JsonElement>("GetSnapshot", Ct);
        Assert.Equal(0, snapshot.GetProperty("devices").GetArrayLength());
    }
}
