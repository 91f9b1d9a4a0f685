using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using Microsoft.AspNetCore.SignalR.Client;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>The platform on the RabbitMQ component set (components/rabbitmq).</summary>
public sealed class RabbitMqPlatform() : DeviceManagementPlatform(Bus.RabbitMQ);

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqPlatform>
{
    public const string Name = "device-management platform on RabbitMQ";
}

/// <summary>On RabbitMQ every replica has a broadcast queue of its own, beside the one queue all replicas share for the read model.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqTests(RabbitMqPlatform platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_change_reaches_connections_on_both_replicas_through_a_queue_per_replica()
    {
        var (aliceId, aliceToken) = await platform.NewUserAsync();
        var alice = new UserSession(platform.Replica(1), aliceId, aliceToken);
        var bulb = await alice.AddAsync("lightbulb", "Cellar");
        await using var onFirst = await HubClient.ConnectAsync(platform.ReplicaUrl(0), aliceToken);
        await using var onSecond = await HubClient.ConnectAsync(platform.ReplicaUrl(1), aliceToken);

        var accepted = await onFirst.Connection.InvokeAsync<JsonElement>("SetDesired", bulb.DeviceId, new { power = true }, Ct);
        var commandId = accepted.GetProperty("commandId").GetString();

        foreach (var client in new[] { onFirst, onSecond })
            await client.UntilAsync(messages => messages.Any(m => m.Change is { } c && c.DeviceId == bulb.DeviceId
                && c.Twin.Properties.GetValueOrDefault("power")?.CommandId == commandId), "the desired power arrives");
        // The read model got it too, through the shared queue.
        await DaprIoT.TestSupport.Eventually.UntilAsync(_ => alice.GetAsync(bulb.DeviceId),
            twin => twin?.Properties.GetValueOrDefault("power")?.CommandId == commandId, "the read model has the command",
            twin => JsonSerializer.Serialize(twin, ContractJson.Options), TimeSpan.FromSeconds(20), Ct);

        var queues = await platform.Rabbit!.QueuesAsync(Ct);
        var shared = Assert.Single(queues, q => q.Name == $"{AppIds.DeviceManagement}-{Topics.DeviceEvents}");
        Assert.True(shared.Durable);
        // The broadcast component's consumerID is {uuid}: one queue per replica, named by it.
        var broadcast = queues.Where(q => q.Name.EndsWith($"-{Topics.DeviceEvents}", StringComparison.Ordinal) && q != shared).ToList();
        Assert.Equal(DeviceManagementPlatform.Replicas, broadcast.Count);

        Assert.Contains(onSecond.Changes(bulb.DeviceId), c => c.Changes.Contains(DeviceChanges.Desired) || c.Changes.Contains(DeviceChanges.Command));
    }
}
