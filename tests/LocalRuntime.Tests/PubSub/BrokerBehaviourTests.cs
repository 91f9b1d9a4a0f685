using System.Diagnostics;
using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Components;
using Microsoft.AspNetCore.Http;
using RabbitMQ.Client;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>Behaviour specific to one broker's component settings.</summary>
public sealed class BrokerBehaviourTests : PubSubTest
{

    private string NewTopic()
    {
        var topic = $"topic-{Guid.NewGuid():N}";
        Topics.Add(topic);
        Queues.AddRange([$"{AppId}-{topic}", $"dlq-{AppId}-{topic}"]);
        Topics.Add($"dlx-{AppId}-{topic}");
        return topic;
    }

    private async Task<(SubscriberApp App, PubSubSidecar Sidecar)> StartAsync(ComponentSpec component, string topic)
    {
        var app = await SubscriberApp.StartAsync(Ct);
        Owned.Add(app);
        var sidecar = await PubSubSidecar.StartAsync(AppId, [component], app, declarative: [Brokers.Subscription(topic)]);
        Owned.Add(sidecar);
        return (app, sidecar);
    }

    private static async Task PublishAsync(PubSubSidecar sidecar, string topic, int n)
    {
        using var content = new StringContent($"{{\"n\":{n}}}", Encoding.UTF8, "application/json");
        using var response = await sidecar.Client.PostAsync($"/v1.0/publish/pubsub/{topic}", content, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task RabbitMQ_defaults_discard_a_failed_message_but_count_and_log_it()
    {
        var topic = NewTopic();
        var (app, sidecar) = await StartAsync(Brokers.Component(BrokerKind.RabbitMq, extra: ("requeueInFailure", "false")), topic);
        app.Handle("/events", _ => Results.StatusCode(500));

        await PublishAsync(sidecar, topic, 1);
        await Poll.UntilAsync(() => sidecar.Feature.Statistics.ReturnedToBroker == 1, Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(800), Ct);

        Assert.Single(app.Received);
        await Poll.UntilAsync(() => sidecar.Logs.Any(l => l.StartsWith("Error:") && l.Contains("NACKed without requeue")), Ct);
    }

    [Fact]
    public async Task RabbitMQ_enableDeadLetter_keeps_a_discarded_message_in_the_dlq_queue()
    {
        var topic = NewTopic();
        var (app, sidecar) = await StartAsync(Brokers.Component(BrokerKind.RabbitMq,
            extra: [("requeueInFailure", "false"), ("enableDeadLetter", "true"), ("deletedWhenUnused", "false")]), topic);
        app.Handle("/events", _ => Results.StatusCode(500));

        await PublishAsync(sidecar, topic, 1);

        await using var connection = await new ConnectionFactory { Uri = new Uri("amqp://guest:guest@127.0.0.1:5672") }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        BasicGetResult? dead = null;
        await Poll.UntilAsync(async () => (dead = await channel.BasicGetAsync($"dlq-{AppId}-{topic}", true, Ct)) is not null, Ct);
        Assert.Contains(topic, Encoding.UTF8.GetString(dead!.Body.Span));
    }

    [Fact]
    public async Task RabbitMQ_deliveryMode_2_publishes_persistent_messages_with_confirms_and_native_TTL()
    {
        var topic = NewTopic();
        var component = Brokers.Component(BrokerKind.RabbitMq,
            extra: [("deliveryMode", "2"), ("publisherConfirm", "true"), ("deletedWhenUnused", "false")]);
        var (_, sidecar) = await StartAsync(component, topic);
        await using var connection = await new ConnectionFactory { Uri = new Uri("amqp://guest:guest@127.0.0.1:5672") }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: Ct);
        // A queue of the test's own on the topic's (fanout) exchange gets a copy to inspect as RabbitMQ stored it.
        var probe = $"probe-{topic}";
        Queues.Add(probe);
        await channel.QueueDeclareAsync(probe, durable: false, exclusive: false, autoDelete: false, cancellationToken: Ct);
        await channel.QueueBindAsync(probe, topic, "", cancellationToken: Ct);

        using var content = new StringContent("{\"n\":1}", Encoding.UTF8, "application/json");
        using var response = await sidecar.Client.PostAsync($"/v1.0/publish/pubsub/{topic}?metadata.ttlInSeconds=60", content, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        BasicGetResult? message = null;
        await Poll.UntilAsync(async () => (message = await channel.BasicGetAsync(probe, true, Ct)) is not null, Ct);
        Assert.Equal(DeliveryModes.Persistent, message!.BasicProperties.DeliveryMode);
        // RabbitMQ expires messages itself, so daprd writes no expiration into the event.
        Assert.Equal("60000", message.BasicProperties.Expiration);
        Assert.DoesNotContain("expiration", Encoding.UTF8.GetString(message.Body.Span));
    }

    [Fact]
    public async Task RabbitMQ_publishes_with_confirms_go_out_side_by_side_on_one_channel_and_each_arrives_once()
    {
        var topic = NewTopic();
        var (app, sidecar) = await StartAsync(Brokers.Component(BrokerKind.RabbitMq, extra: [("deliveryMode", "2"), ("publisherConfirm", "true")]), topic);

        // Concurrent publishes share the component's channel: each must still be numbered, confirmed and delivered once.
        const int count = 200;
        await Task.WhenAll(Enumerable.Range(1, count).Select(n => PublishAsync(sidecar, topic, n)));

        await Poll.UntilAsync(() => app.At("/events").Count >= count, Ct);
        var numbers = app.At("/events").Select(d => (int)d.Event["data"]!["n"]!).Order().ToList();
        Assert.Equal(Enumerable.Range(1, count), numbers);
    }

    [Theory]
    [InlineData(BrokerKind.Redis)]
    [InlineData(BrokerKind.RabbitMq)]
    public async Task Events_published_while_subscriptions_are_stopped_for_an_app_restart_arrive_once_they_start_again(BrokerKind kind)
    {
        var topic = NewTopic();
        // RabbitMQ with deletedWhenUnused true (the default): closing the last consumer would delete the queue.
        var (app, sidecar) = await StartAsync(Brokers.Component(kind, extra: ("deletedWhenUnused", "true")), topic);
        await sidecar.Feature.StopAsync(Ct);

        await PublishAsync(sidecar, topic, 1);
        await PublishAsync(sidecar, topic, 2);
        await sidecar.Feature.StartAsync(Ct);

        await Poll.UntilAsync(() => app.Received.Count == 2, Ct);
        Assert.Equal(["{\"n\":1}", "{\"n\":2}"], app.Received.Select(r => r.Event["data"]!.ToJsonString()).Order());
    }

    [Theory]
    [InlineData(BrokerKind.Redis)]
    [InlineData(BrokerKind.RabbitMq)]
    public async Task Parallel_delivery_has_several_events_in_flight_at_once(BrokerKind kind)
    {
        var topic = NewTopic();
        var (app, sidecar) = await StartAsync(Brokers.Component(kind), topic);
        var bothArrived = new TaskCompletionSource();
        app.Handle("/events", async _ =>
        {
            if (app.Received.Count >= 2) bothArrived.TrySetResult();
            await bothArrived.Task.WaitAsync(TimeSpan.FromSeconds(5));
            return Results.Ok();
        });

        await PublishAsync(sidecar, topic, 1);
        await PublishAsync(sidecar, topic, 2);

        await Poll.UntilAsync(() => sidecar.Feature.Statistics.Delivered == 2, Ct);
        Assert.True(bothArrived.Task.IsCompletedSuccessfully);
    }

    [Theory]
    [InlineData(BrokerKind.Redis, "concurrency", "1")]
    [InlineData(BrokerKind.RabbitMq, "concurrencyMode", "single")]
    public async Task Single_concurrency_delivers_one_event_at_a_time_in_order(BrokerKind kind, string key, string value)
    {
        var topic = NewTopic();
        var (app, sidecar) = await StartAsync(Brokers.Component(kind, extra: (key, value)), topic);
        var inFlight = 0;
        var maxInFlight = 0;
        app.Handle("/events", async _ =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            await Task.Delay(20);
            Interlocked.Decrement(ref inFlight);
            return Results.Ok();
        });

        for (var n = 0; n < 5; n++) await PublishAsync(sidecar, topic, n);

        await Poll.UntilAsync(() => sidecar.Feature.Statistics.Delivered == 5, Ct);
        Assert.Equal(1, maxInFlight);
        Assert.Equal([0, 1, 2, 3, 4], app.Received.Select(d => (int)d.Event["data"]!["n"]!));
    }

    [Theory]
    [InlineData(BrokerKind.Redis)]
    [InlineData(BrokerKind.RabbitMq)]
    public async Task Publish_to_deliver_latency_is_reported(BrokerKind kind)
    {
        var topic = NewTopic();
        var (app, sidecar) = await StartAsync(Brokers.Component(kind), topic);
        TaskCompletionSource<long> arrived = new();
        app.Handle("/events", _ =>
        {
            arrived.TrySetResult(Stopwatch.GetTimestamp());
            return Results.Ok();
        });
        var latencies = new List<double>();
        for (var n = 0; n < 55; n++)
        {
            arrived = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var started = Stopwatch.GetTimestamp();
            await PublishAsync(sidecar, topic, n);
            var at = await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            if (n >= 5) latencies.Add(Stopwatch.GetElapsedTime(started, at).TotalMilliseconds); // 5 to warm up (JIT, connections)
        }

        latencies.Sort();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{kind}: publish→deliver p50 {latencies[latencies.Count / 2]:F2} ms, p99 {latencies[(int)(latencies.Count * 0.99)]:F2} ms (50 events after 5 warm-up ones, one at a time)");
        await Poll.UntilAsync(() => sidecar.Feature.Statistics.Delivered == 55, Ct);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
