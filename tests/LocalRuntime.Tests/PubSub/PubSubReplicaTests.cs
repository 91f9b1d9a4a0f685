using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Components;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>Several sidecars of one app (replicas), and sidecars that stop in the middle of a delivery.</summary>
public sealed class PubSubReplicaTests : PubSubTest
{

    private string NewTopic()
    {
        var topic = $"topic-{Guid.NewGuid():N}";
        Topics.Add(topic);
        Queues.AddRange([$"{AppId}-{topic}", $"{AppId}-0-{topic}", $"{AppId}-1-{topic}"]);
        return topic;
    }

    private async Task<SubscriberApp> AppAsync()
    {
        var app = await SubscriberApp.StartAsync(Ct);
        Owned.Add(app);
        return app;
    }

    private async Task<PubSubSidecar> ReplicaAsync(ComponentSpec component, SubscriberApp app, string topic, int index)
    {
        var sidecar = await PubSubSidecar.StartAsync(AppId, [component], app, $"{AppId}-{index}", [Brokers.Subscription(topic)]);
        Owned.Add(sidecar);
        return sidecar;
    }

    private static async Task PublishAsync(PubSubSidecar sidecar, string topic, int n)
    {
        using var content = new StringContent($"{{\"n\":{n}}}", Encoding.UTF8, "application/json");
        using var response = await sidecar.Client.PostAsync($"/v1.0/publish/pubsub/{topic}", content, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task Replicas_sharing_the_default_consumer_id_compete_so_each_event_arrives_once_overall(BrokerKind kind)
    {
        var topic = NewTopic();
        var (app0, app1) = (await AppAsync(), await AppAsync());
        var replica0 = await ReplicaAsync(Brokers.Component(kind), app0, topic, 0);
        await ReplicaAsync(Brokers.Component(kind), app1, topic, 1);

        for (var n = 0; n < 20; n++) await PublishAsync(replica0, topic, n);

        await Poll.UntilAsync(() => app0.Received.Count + app1.Received.Count >= 20, Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(1500), Ct); // time for any duplicate to show up
        var all = app0.Received.Concat(app1.Received).ToList();
        Assert.Equal(20, all.Count);
        Assert.Equal(20, all.Select(d => d.Id).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task A_podName_consumer_id_gives_every_replica_every_event(BrokerKind kind)
    {
        var topic = NewTopic();
        var (app0, app1) = (await AppAsync(), await AppAsync());
        var component = Brokers.Component(kind, extra: ("consumerID", "{podName}"));
        var replica0 = await ReplicaAsync(component, app0, topic, 0);
        await ReplicaAsync(component, app1, topic, 1);

        for (var n = 0; n < 10; n++) await PublishAsync(replica0, topic, n);

        await Poll.UntilAsync(() => app0.Received.Count == 10 && app1.Received.Count == 10, Ct);
        Assert.Equal(app0.Received.Select(d => d.Id).Order(), app1.Received.Select(d => d.Id).Order());
        if (kind == BrokerKind.Redis)
        {
            await using var redis = await TestRedis.ConnectAsync();
            var groups = (await redis.GetDatabase().StreamGroupInfoAsync(topic)).Select(g => g.Name).Order().ToList();
            Assert.Equal([$"{AppId}-0", $"{AppId}-1"], groups);
        }
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task An_event_in_flight_when_the_sidecar_stops_is_delivered_after_it_restarts(BrokerKind kind)
    {
        var topic = NewTopic();
        var app = await AppAsync();
        var neverAnswer = new TaskCompletionSource();
        var firstCall = 1;
        app.Handle("/events", async _ =>
        {
            if (Interlocked.Exchange(ref firstCall, 0) == 1) await neverAnswer.Task;
            return Results.Ok();
        });
        // deletedWhenUnused=false keeps the RabbitMQ queue (and its messages) while no sidecar consumes it.
        var component = Brokers.Component(kind, extra: ("deletedWhenUnused", "false"));
        var first = await ReplicaAsync(component, app, topic, 0);

        await PublishAsync(first, topic, 1);
        await Poll.UntilAsync(() => app.Received.Count == 1, Ct);
        Owned.Remove(first);
        await first.DisposeAsync();
        neverAnswer.SetResult();
        Assert.Equal(0, first.Feature.Statistics.Delivered);

        var restarted = await ReplicaAsync(component, app, topic, 0);

        await Poll.UntilAsync(() => restarted.Feature.Statistics.Delivered == 1, Ct);
        var deliveries = app.At("/events");
        Assert.Equal(2, deliveries.Count);
        Assert.Equal(deliveries[0].Id, deliveries[1].Id);
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task Events_published_while_the_subscriber_is_down_arrive_when_it_comes_back(BrokerKind kind)
    {
        var topic = NewTopic();
        var app = await AppAsync();
        var component = Brokers.Component(kind, extra: ("deletedWhenUnused", "false"));
        var first = await ReplicaAsync(component, app, topic, 0);
        Owned.Remove(first);
        await first.DisposeAsync();
        var publisher = await PubSubSidecar.StartAsync($"publisher-{Guid.NewGuid():N}", [component]);
        Owned.Add(publisher);

        for (var n = 0; n < 3; n++) await PublishAsync(publisher, topic, n);
        await ReplicaAsync(component, app, topic, 0);

        await Poll.UntilAsync(() => app.Received.Count == 3, Ct);
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task An_event_in_flight_when_the_app_dies_is_delivered_once_the_app_is_back(BrokerKind kind)
    {
        var topic = NewTopic();
        var dying = await SubscriberApp.StartAsync(Ct);
        dying.Handle("/events", async _ =>
        {
            await Task.Delay(Timeout.Infinite, Ct);
            return Results.Ok();
        });
        var sidecar = await ReplicaAsync(Brokers.Component(kind), dying, topic, 0);

        await PublishAsync(sidecar, topic, 1);
        await Poll.UntilAsync(() => dying.Received.Count == 1, Ct);
        await dying.KillAsync();
        await Poll.UntilAsync(() => sidecar.Feature.Statistics.ReturnedToBroker >= 1, Ct);
        var revived = await SubscriberApp.StartAsync(Ct, dying.Port);
        Owned.Add(revived);

        await Poll.UntilAsync(() => sidecar.Feature.Statistics.Delivered == 1, Ct);
        Assert.Equal(dying.Received.Single().Id, revived.Received.Single().Id);
    }
}
