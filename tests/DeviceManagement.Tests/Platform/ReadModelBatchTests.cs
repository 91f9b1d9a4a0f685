using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.DeviceManagement.ReadModel;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>
/// Batches of device events applied to the read model on real Redis through a device-management sidecar, with every
/// state call counted: a batch costs a bulk read and a transaction whatever its size, a redelivered batch writes
/// nothing, two replicas that write the same entries converge, and a device that keeps losing to another writer holds
/// up no other device.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ReadModelBatchTests(DeviceManagementPlatform platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_of_several_versions_of_several_devices_keeps_the_newest_twins_and_every_change_in_one_read_and_one_transaction()
    {
        using var counter = SidecarCallCounter.On(platform.Runtime);
        var store = new DeviceStore(counter.Client, NullLogger<DeviceStore>.Instance);
        var owner = NewId("user");
        var devices = Enumerable.Range(0, 10).Select(_ => NewId("bulb")).ToList();
        // Five versions of each device, provisioned first, shuffled across devices and versions, some twice.
        var batch = devices.SelectMany(id => Enumerable.Range(1, 5).Select(v => Event(id, owner, v, v == 1 ? DeviceChanges.Provisioned : DeviceChanges.Reported)))
            .ToList();
        batch.AddRange(batch.Where(e => e.Version == 3).ToList());
        Shuffle(batch);

        Assert.Empty(await ApplyAsync(store, batch, Ct));

        Report($"{batch.Count} events of {devices.Count} devices: {counter.StateCalls} state calls ({counter})");
        Assert.Equal(1, counter.Calls.GetValueOrDefault("GetBulkState"));
        Assert.Equal(1, counter.Calls.GetValueOrDefault("ExecuteStateTransaction"));
        Assert.Equal(2, counter.StateCalls);
        await AssertNewestAsync(store, owner, devices, newest: 5);

        // The same batch delivered again: read once, nothing written.
        var etags = await ETagsAsync(devices, owner);
        counter.Reset();
        Assert.Empty(await ApplyAsync(store, batch, Ct));
        Report($"the batch again: {counter.StateCalls} state calls ({counter})");
        Assert.Equal(1, counter.StateCalls);
        Assert.Equal(etags, await ETagsAsync(devices, owner));
        await AssertNewestAsync(store, owner, devices, newest: 5);
    }

    [Fact]
    public async Task A_removal_in_a_batch_with_older_events_leaves_a_tombstone_that_expires_and_that_later_batches_keep()
    {
        using var counter = SidecarCallCounter.On(platform.Runtime);
        var store = new DeviceStore(counter.Client, NullLogger<DeviceStore>.Instance);
        var owner = NewId("user");
        var (removedId, keptId) = (NewId("bulb"), NewId("bulb"));
        Assert.Empty(await ApplyAsync(store, [Event(removedId, owner, 1, DeviceChanges.Provisioned), Event(keptId, owner, 1, DeviceChanges.Provisioned)], Ct));
        Assert.Equal(2, (await store.ListAsync(owner, Ct)).Count);

        // The removal between older events of its device, and the other device's change beside them.
        counter.Reset();
        Assert.Empty(await ApplyAsync(store, [Event(removedId, owner, 3, DeviceChanges.Reported), Event(removedId, owner, 4, DeviceChanges.Removed),
            Event(keptId, owner, 2, DeviceChanges.Renamed), Event(removedId, owner, 2, DeviceChanges.Renamed)], Ct));
        Assert.Equal(2, counter.StateCalls);

        Assert.Equal([keptId], (await store.ListAsync(owner, Ct)).Select(t => t.DeviceId));
        Assert.Null(await store.FindOwnedAsync(owner, removedId, Ct));
        Assert.Empty(await store.TimelineAsync(removedId, DeviceStore.TimelineLength, Ct));
        Assert.Equal([2L, 1L], (await store.TimelineAsync(keptId, DeviceStore.TimelineLength, Ct)).Select(e => e.Version));
        var tombstone = await counter.Client.GetStateAsync<DeviceTwinView>(ComponentNames.StateStore, DeviceStore.DeviceKey(removedId), cancellationToken: Ct);
        Assert.Equal((false, 4L), (tombstone.Provisioned, tombstone.Version));
        // The tombstone was written in the transaction, with its own ttlInSeconds.
        var expires = await ExpiryAsync(DeviceStore.DeviceKey(removedId));
        Assert.NotNull(expires);
        Assert.InRange(expires.Value - DateTimeOffset.UtcNow, DeviceStore.TombstoneTtl - TimeSpan.FromMinutes(5), DeviceStore.TombstoneTtl);
        Assert.Null(await ExpiryAsync(DeviceStore.DeviceKey(keptId)));

        // Late older events of the removed device, alone or in a later batch: nothing comes back.
        var etags = await ETagsAsync([removedId, keptId], owner);
        Assert.Empty(await ApplyAsync(store, [Event(removedId, owner, 3, DeviceChanges.Reported), Event(removedId, owner, 1, DeviceChanges.Provisioned)], Ct));
        Assert.Equal([keptId], (await store.ListAsync(owner, Ct)).Select(t => t.DeviceId));
        Assert.Empty(await store.TimelineAsync(removedId, DeviceStore.TimelineLength, Ct));
        var after = await ETagsAsync([removedId, keptId], owner);
        Assert.Equal(etags[DeviceStore.DeviceKey(removedId)], after[DeviceStore.DeviceKey(removedId)]);
        Assert.Equal(etags[DeviceStore.UserKey(owner)], after[DeviceStore.UserKey(owner)]);
    }

    [Fact]
    public async Task Two_replicas_applying_overlapping_batches_converge_when_one_wrote_first()
    {
        using var first = SidecarCallCounter.On(platform.Runtime, replica: 0);
        using var second = SidecarCallCounter.On(platform.Runtime, replica: 1);
        var firstStore = new DeviceStore(first.Client, NullLogger<DeviceStore>.Instance);
        var secondStore = new DeviceStore(second.Client, NullLogger<DeviceStore>.Instance);
        var owner = NewId("user");
        var devices = Enumerable.Range(0, 6).Select(_ => NewId("bulb")).ToList();
        // Devices 0-3 versions 1-3 on the first replica, devices 2-5 versions 1-4 on the second: two devices in both.
        var firstBatch = devices[..4].SelectMany(id => Versions(id, owner, 1, 3)).ToList();
        var secondBatch = devices[2..].SelectMany(id => Versions(id, owner, 1, 4)).ToList();

        // The second replica writes between the first one's read and its transaction.
        var secondWrote = false;
        first.BeforeCall = async method =>
        {
            if (method != "ExecuteStateTransaction" || secondWrote) return;
            secondWrote = true;
            Assert.Empty(await ApplyAsync(secondStore, secondBatch, Ct));
        };
        Assert.Empty(await ApplyAsync(firstStore, firstBatch, Ct));

        Report($"first replica, after losing once: {first.StateCalls} state calls ({first}); second: {second.StateCalls} ({second})");
        Assert.True(secondWrote);
        Assert.Equal(2, first.Calls.GetValueOrDefault("ExecuteStateTransaction"));
        Assert.Equal(2, first.Calls.GetValueOrDefault("GetBulkState"));
        var twins = (await firstStore.ListAsync(owner, Ct)).ToDictionary(t => t.DeviceId);
        Assert.Equal(devices.Order(StringComparer.Ordinal), twins.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, i) in devices.Select((id, i) => (id, i)))
        {
            var newest = i < 2 ? 3L : 4L;
            Assert.Equal(newest, twins[id].Version);
            Assert.Equal(Enumerable.Range(1, (int)newest).Reverse().Select(v => (long)v),
                (await firstStore.TimelineAsync(id, DeviceStore.TimelineLength, Ct)).Select(e => e.Version));
        }

        // Both at once, again and again with new versions: the same result whoever writes first.
        first.BeforeCall = null;
        var more = devices.SelectMany(id => Versions(id, owner, 5, 8)).ToList();
        Shuffle(more);
        var results = await Task.WhenAll(
            ApplyAsync(firstStore, more[..(more.Count * 2 / 3)], Ct), ApplyAsync(secondStore, more[(more.Count / 3)..], Ct));
        Assert.All(results, Assert.Empty);
        foreach (var id in devices)
        {
            Assert.Equal(8L, (await firstStore.FindOwnedAsync(owner, id, Ct))?.Version);
            Assert.Equal([8L, 7L, 6L, 5L], (await secondStore.TimelineAsync(id, 4, Ct)).Select(e => e.Version));
        }
    }

    [Fact]
    public async Task A_device_that_keeps_losing_to_another_writer_is_left_for_redelivery_and_the_others_are_applied()
    {
        using var counter = SidecarCallCounter.On(platform.Runtime);
        var store = new DeviceStore(counter.Client, NullLogger<DeviceStore>.Instance);
        using var other = platform.Runtime.CreateDaprClient(AppIds.DeviceManagement, replica: 1);
        var owner = NewId("user");
        var devices = Enumerable.Range(0, 4).Select(_ => NewId("bulb")).ToList();
        var hot = devices[0];
        Assert.Empty(await ApplyAsync(store, [.. devices.Select(id => Event(id, owner, 1, DeviceChanges.Provisioned))], Ct));

        // Another writer rewrites the hot device's timeline before every transaction this replica sends.
        counter.BeforeCall = async method =>
        {
            if (method != "ExecuteStateTransaction") return;
            var (timeline, _) = await other.GetStateAndETagAsync<DeviceTimeline>(ComponentNames.StateStore, DeviceStore.TimelineKey(hot), cancellationToken: Ct);
            await other.SaveStateAsync(ComponentNames.StateStore, DeviceStore.TimelineKey(hot), timeline, cancellationToken: Ct);
        };
        var batch = devices.SelectMany(id => Versions(id, owner, 2, 3)).ToList();
        counter.Reset();
        Assert.Equal([hot], await ApplyAsync(store, batch, Ct));
        Report($"a batch with a device that always loses: {counter.StateCalls} state calls ({counter})");
        foreach (var id in devices.Skip(1)) Assert.Equal(3L, (await store.FindOwnedAsync(owner, id, Ct))?.Version);
        Assert.Equal(1L, (await store.FindOwnedAsync(owner, hot, Ct))?.Version);

        // Delivered again once the other writer is gone, the hot device's events are applied too.
        counter.BeforeCall = null;
        Assert.Empty(await ApplyAsync(store, [.. batch.Where(e => e.DeviceId == hot)], Ct));
        Assert.Equal(3L, (await store.FindOwnedAsync(owner, hot, Ct))?.Version);
        Assert.Equal([3L, 2L, 1L], (await store.TimelineAsync(hot, DeviceStore.TimelineLength, Ct)).Select(e => e.Version));
    }

    [Fact]
    public async Task Both_subscriptions_take_batches_and_answer_each_entry_by_name()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var subscriptions = await http.GetFromJsonAsync<JsonElement>($"{platform.ReplicaUrl(0)}/dapr/subscribe", Ct);
        var readModel = subscriptions.EnumerateArray().Single(s => s.GetProperty("pubsubName").GetString() == ComponentNames.PubSub);
        var bulk = readModel.GetProperty("bulkSubscribe");
        Assert.True(bulk.GetProperty("enabled").GetBoolean());
        Assert.Equal(SubscriptionsApi.ReadModelBatchSize, bulk.GetProperty("maxMessagesCount").GetInt32());
        Assert.Equal(SubscriptionsApi.ReadModelBatchWaitMs, bulk.GetProperty("maxAwaitDurationMs").GetInt32());
        var broadcast = subscriptions.EnumerateArray().Single(s => s.GetProperty("pubsubName").GetString() == SubscriptionsApi.BroadcastPubSub)
            .GetProperty("bulkSubscribe");
        Assert.True(broadcast.GetProperty("enabled").GetBoolean());
        Assert.Equal(SubscriptionsApi.BroadcastBatchSize, broadcast.GetProperty("maxMessagesCount").GetInt32());
        Assert.Equal(SubscriptionsApi.BroadcastBatchWaitMs, broadcast.GetProperty("maxAwaitDurationMs").GetInt32());

        // A delivery as the sidecar makes it: CloudEvents with the event as data, or as JSON text, and one that is no device event.
        var (aliceId, aliceToken) = await platform.NewUserAsync();
        var alice = new UserSession(platform.Replica(1), aliceId, aliceToken);
        var deviceId = NewId("bulb");
        var entries = new object[]
        {
            Entry("a", Event(deviceId, aliceId, 2, DeviceChanges.Renamed)),
            Entry("b", JsonSerializer.Serialize(Event(deviceId, aliceId, 1, DeviceChanges.Provisioned), ContractJson.Options)),
            new { entryId = "c", @event = new { id = "c", source = "test", type = "com.dapr.event.sent", specversion = "1.0", datacontenttype = "application/json", data = new { hello = "world" } },
                contentType = "application/cloudevents+json", metadata = new { } },
        };
        var envelope = JsonSerializer.Serialize(new { id = "batch", type = "com.dapr.event.sent.bulk", topic = Topics.DeviceEvents, pubsubname = ComponentNames.PubSub,
            metadata = new { }, entries });
        var response = await http.PostAsync($"{platform.ReplicaUrl(0)}{SubscriptionsApi.ReadModelRoute}", new StringContent(envelope, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(new Dictionary<string, string?> { ["a"] = "SUCCESS", ["b"] = "SUCCESS", ["c"] = "DROP" }, await StatusesAsync(response));

        // The broadcast route answers the same way (the sidecar reads the status names case-sensitively).
        var pushed = await http.PostAsync($"{platform.ReplicaUrl(0)}{SubscriptionsApi.BroadcastRoute}", new StringContent(envelope, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(new Dictionary<string, string?> { ["a"] = "SUCCESS", ["b"] = "SUCCESS", ["c"] = "DROP" }, await StatusesAsync(pushed));

        Assert.Equal(("Name v2", 2L), (await alice.GetAsync(deviceId)) is { } twin ? (twin.Name, twin.Version) : default);
        Assert.Equal([deviceId], (await alice.ListAsync()).Select(t => t.DeviceId));
    }

    private static async Task<Dictionary<string, string?>> StatusesAsync(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("statuses").EnumerateArray()
            .ToDictionary(s => s.GetProperty("entryId").GetString()!, s => s.GetProperty("status").GetString());
    }

    private static object Entry(string entryId, object data) => new
    {
        entryId,
        @event = new { id = entryId, source = "lightbulb", type = "com.dapr.event.sent", specversion = "1.0", datacontenttype = "application/json",
            topic = Topics.DeviceEvents, pubsubname = ComponentNames.PubSub, data = data is DeviceEvent e ? JsonSerializer.SerializeToElement(e, ContractJson.Options) : data },
        contentType = "application/cloudevents+json",
        metadata = new { },
    };

    private static async Task AssertNewestAsync(DeviceStore store, string owner, IReadOnlyList<string> devices, long newest)
    {
        var twins = await store.ListAsync(owner, Ct);
        Assert.Equal(devices.Order(StringComparer.Ordinal), twins.Select(t => t.DeviceId));
        Assert.All(twins, twin => Assert.Equal(($"Name v{newest}", newest), (twin.Name, twin.Version)));
        foreach (var id in devices)
            Assert.Equal(Enumerable.Range(1, (int)newest).Reverse().Select(v => (long)v), (await store.TimelineAsync(id, DeviceStore.TimelineLength, Ct)).Select(e => e.Version));
    }

    /// <summary>The ETags of the devices' twins and timelines and of the owner's index: equal ETags, nothing written.</summary>
    private async Task<Dictionary<string, string>> ETagsAsync(IEnumerable<string> devices, string owner)
    {
        using var plain = platform.Runtime.CreateDaprClient(AppIds.DeviceManagement);
        var keys = devices.SelectMany(id => new[] { DeviceStore.DeviceKey(id), DeviceStore.TimelineKey(id) }).Append(DeviceStore.UserKey(owner)).ToList();
        return (await plain.GetBulkStateAsync(ComponentNames.StateStore, keys, parallelism: null, cancellationToken: Ct)).ToDictionary(i => i.Key, i => i.ETag);
    }

    /// <summary>When the entry expires, as the sidecar's HTTP API tells (<c>metadata.ttlExpireTime</c>); null when it does not.</summary>
    private async Task<DateTimeOffset?> ExpiryAsync(string key)
    {
        var response = await platform.Runtime.Client.GetAsync($"{platform.Runtime.SidecarUrl(AppIds.DeviceManagement)}/v1.0/state/{ComponentNames.StateStore}/{key}", Ct);
        response.EnsureSuccessStatusCode();
        return response.Headers.TryGetValues("metadata.ttlExpireTime", out var values)
            ? DateTimeOffset.Parse(values.Single(), CultureInfo.InvariantCulture)
            : null;
    }

    private static void Report(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        Console.WriteLine($"[read model] {line}");
    }

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private static void Shuffle<T>(List<T> items)
    {
        var random = new Random(7);
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Applies the events as the read-model subscription hears them: as published.</summary>
    private static Task<IReadOnlySet<string>> ApplyAsync(DeviceStore store, IEnumerable<DeviceEvent> events, CancellationToken cancellationToken) =>
        store.ApplyAsync([.. events.Select(DeviceEventJsonTests.Of)], cancellationToken);

    private static IEnumerable<DeviceEvent> Versions(string deviceId, string owner, int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(v => Event(deviceId, owner, v, v == 1 ? DeviceChanges.Provisioned : DeviceChanges.Reported));

    private static DeviceEvent Event(string deviceId, string owner, long version, string change) =>
        new(deviceId, "lightbulb", owner, version, DateTimeOffset.UtcNow, [change],
            new DeviceTwinView(deviceId, "lightbulb", change != DeviceChanges.Removed, owner, $"Name v{version}", version,
                new PresenceView(PresenceState.Unknown, 0, null, null, null, null, null), new Dictionary<string, PropertyView>(), [], null));
}
