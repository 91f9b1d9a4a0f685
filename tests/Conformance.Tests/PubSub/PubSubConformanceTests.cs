using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.PubSub;

/// <summary>
/// Pub/sub through the real dapr-local process on both buses the platform supports, the component named
/// <c>pubsub</c> either way (apps must not notice the switch).
/// </summary>
public sealed class PubSubConformanceTests(PubSubRunsFixture runs) : IClassFixture<PubSubRunsFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static TheoryData<PubSubBus> Buses => [PubSubBus.Redis, PubSubBus.RabbitMq];

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task A_json_publish_from_another_app_arrives_as_a_cloudevent_with_every_envelope_field(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var traceparent = $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01";

        await run.PublishAsync(run.Topics.Envelope, new { orderId = 42, price = 9.5, tags = new[] { "a", "b" } }, ct, traceparent: traceparent);

        var delivery = (await Eventually.UntilAsync(_ => Task.FromResult(run.InspectorDeliveries("/envelope")), d => d.Count > 0,
            "the inspector app receives the event", d => $"{d.Count} deliveries", Patience, ct))[0];
        Assert.Equal("POST", delivery.Method);
        Assert.StartsWith("application/cloudevents+json", delivery.Headers["content-type"], StringComparison.Ordinal);
        Assert.Equal("pubsub", delivery.Headers["pubsubname"]);
        var cloudEvent = JsonNode.Parse(delivery.Body)!.AsObject();
        Assert.True(Guid.TryParse((string?)cloudEvent["id"], out _), $"id is a UUID: {delivery.Body}");
        Assert.Equal("publisher", (string?)cloudEvent["source"]);
        Assert.Equal("com.dapr.event.sent", (string?)cloudEvent["type"]);
        Assert.Equal("1.0", (string?)cloudEvent["specversion"]);
        Assert.Equal("application/json", (string?)cloudEvent["datacontenttype"]);
        Assert.Equal(run.Topics.Envelope, (string?)cloudEvent["topic"]);
        Assert.Equal("pubsub", (string?)cloudEvent["pubsubname"]);
        Assert.True(DateTimeOffset.TryParse((string?)cloudEvent["time"], out _), $"time is RFC 3339: {delivery.Body}");
        // The publish request's trace continues into the event, and from the event into the delivery request.
        var eventTraceparent = (string?)cloudEvent["traceparent"];
        Assert.Equal(traceId, eventTraceparent?.Split('-')[1]);
        Assert.Equal(eventTraceparent, (string?)cloudEvent["traceid"]);
        Assert.Equal(traceId, delivery.Headers["traceparent"].Split('-')[1]);
        // application/json data is embedded as JSON, numbers preserved, not as a string.
        var data = Assert.IsType<JsonObject>(cloudEvent["data"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"orderId":42,"price":9.5,"tags":["a","b"]}"""), data), $"data: {data.ToJsonString()}");
        Assert.Null(cloudEvent["data_base64"]);
        Assert.Single(run.InspectorDeliveries("/envelope"));
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task Text_data_stays_a_string_and_a_publisher_cloudevent_keeps_its_attributes_except_topic_and_pubsubname(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var ownId = $"ce-{Guid.NewGuid():N}";

        await run.PublishBytesAsync($"pubsub/{run.Topics.Variants}", "21.5 <C>"u8.ToArray(), "text/plain", ct);
        await run.PublishBytesAsync($"pubsub/{run.Topics.Variants}", Encoding.UTF8.GetBytes($$$"""
            {"specversion":"1.0","id":"{{{ownId}}}","source":"device-42","type":"com.dapriot.reading","datacontenttype":"application/json",
             "topic":"spoofed","pubsubname":"spoofed","devicekind":"cooker","data":{"celsius":21.5}}
            """), "application/cloudevents+json", ct);

        var events = (await Eventually.UntilAsync(_ => Task.FromResult(run.InspectorDeliveries("/variants")), d => d.Count >= 2,
            "the inspector app receives both events", d => $"{d.Count} deliveries", Patience, ct))
            .Select(d => JsonNode.Parse(d.Body)!.AsObject()).ToList();
        var text = Assert.Single(events, e => (string?)e["datacontenttype"] == "text/plain");
        Assert.Equal("21.5 <C>", (string?)text["data"]);
        Assert.Equal("publisher", (string?)text["source"]);
        var own = Assert.Single(events, e => (string?)e["id"] == ownId);
        Assert.Equal(("device-42", "com.dapriot.reading", "cooker"), ((string?)own["source"], (string?)own["type"], (string?)own["devicekind"]));
        Assert.Equal((run.Topics.Variants, "pubsub"), ((string?)own["topic"], (string?)own["pubsubname"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"celsius":21.5}"""), own["data"]), $"data: {own["data"]?.ToJsonString()}");
        Assert.NotNull(own["time"]);
        Assert.NotNull(own["traceparent"]);
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task A_topic_with_slashes_is_published_and_delivered_under_its_full_name(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);

        await run.PublishAsync(run.Topics.Nested, new { celsius = 21.5 }, ct);

        var delivery = (await Eventually.UntilAsync(_ => Task.FromResult(run.InspectorDeliveries("/nested")), d => d.Count > 0,
            "the inspector app receives the event", d => $"{d.Count} deliveries", Patience, ct))[0];
        Assert.Equal(run.Topics.Nested, (string?)JsonNode.Parse(delivery.Body)!["topic"]);
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task A_raw_payload_reaches_a_raw_subscription_as_base64_in_a_synthetic_cloudevent(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        byte[] payload = [0x01, 0xFF, .. """{"t":21.5}"""u8.ToArray()];

        await run.PublishBytesAsync($"pubsub/{run.Topics.Raw}?metadata.rawPayload=true", payload, "application/octet-stream", ct);

        var delivery = (await Eventually.UntilAsync(_ => Task.FromResult(run.InspectorDeliveries("/raw")), d => d.Count > 0,
            "the inspector app receives the raw message", d => $"{d.Count} deliveries", Patience, ct))[0];
        var cloudEvent = JsonNode.Parse(delivery.Body)!.AsObject();
        Assert.Equal(Convert.ToBase64String(payload), (string?)cloudEvent["data_base64"]);
        Assert.Null(cloudEvent["data"]);
        Assert.Equal(("application/octet-stream", "Dapr", "com.dapr.event.sent"),
            ((string?)cloudEvent["datacontenttype"], (string?)cloudEvent["source"], (string?)cloudEvent["type"]));
        Assert.Equal((run.Topics.Raw, "pubsub"), ((string?)cloudEvent["topic"], (string?)cloudEvent["pubsubname"]));
        Assert.True(Guid.TryParse((string?)cloudEvent["id"], out _), $"id is a fresh UUID: {delivery.Body}");
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task Each_app_answer_is_acknowledged_redelivered_or_dropped_as_daprd_does(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var id = Guid.NewGuid().ToString("N")[..8];
        // key → (message data, deliveries the app must see in total). Failures are retried 3 times by the sidecar
        // (resiliency) and then handed back to the broker, which redelivers: 5 failures need one broker redelivery.
        var cases = new Dictionary<string, (object Data, int Deliveries)>
        {
            [$"success-{id}"] = (new { outcome = "success", key = $"success-{id}" }, 1),
            [$"retry-{id}"] = (new { outcome = "retry", retryTimes = 4, key = $"retry-{id}" }, 5),
            [$"drop-{id}"] = (new { outcome = "drop", key = $"drop-{id}" }, 1),
            [$"404-{id}"] = (new { outcome = "404", key = $"404-{id}" }, 1),
            [$"500-{id}"] = (new { outcome = "500", retryTimes = 4, key = $"500-{id}" }, 5),
            [$"garbage-{id}"] = (new { outcome = "garbage-2xx", key = $"garbage-{id}" }, 1),
        };

        foreach (var (_, (data, _)) in cases) await run.PublishAsync(run.Topics.Outcomes, data, ct);

        // Every case reached its count and the broker holds nothing more for the subscriber: whatever was
        // acknowledged is never delivered again, so the counts below are final.
        var deliveries = await Eventually.UntilAsync(
            async token => (Seen: await run.Subscriber.DeliveriesAsync(run.Topics.Outcomes, token),
                Backlog: await BrokerBacklog.CountAsync(bus, run.Topics.Outcomes, "subscriber", token)),
            seen => seen.Backlog == 0 && cases.All(c => seen.Seen.Count(d => d.Key == c.Key) >= c.Value.Deliveries),
            "every message was delivered as often as its answer demands and acknowledged",
            seen => $"backlog {seen.Backlog}, counts {Counts(seen.Seen)}", Patience, ct);

        foreach (var (key, (_, expected)) in cases)
            Assert.True(deliveries.Seen.Count(d => d.Key == key) == expected,
                $"{key} must be delivered {expected} time(s); deliveries: {Counts(deliveries.Seen)}");
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task A_message_in_flight_when_the_app_is_killed_is_delivered_again_to_the_restarted_app(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var id = Guid.NewGuid().ToString("N")[..8];
        var inFlight = $"in-flight-{id}";
        var whileDown = $"while-down-{id}";
        await run.PublishAsync(run.Topics.Slow, new { outcome = "slow", slowMs = 3000, key = inFlight }, ct);
        await Eventually.UntilAsync(token => run.Victim.DeliveriesAsync(run.Topics.Slow, token), d => d.Any(x => x.Key == inFlight),
            "the victim app is handling the slow message", d => $"{d.Count} deliveries", Patience, ct);
        var killedPid = await run.Victim.PidAsync(ct) ?? throw new InvalidOperationException("the victim app does not answer /pid");

        Process.GetProcessById(killedPid).Kill();
        await run.PublishAsync(run.Topics.Slow, new { outcome = "success", key = whileDown }, ct);

        // The restarted process starts with an empty log: whatever it records arrived after the kill.
        var afterRestart = await Eventually.UntilAsync(
            async token => (Pid: await run.Victim.PidAsync(token), Seen: await DeliveriesWhileRestartingAsync(run.Victim, run.Topics.Slow, token),
                Backlog: await BrokerBacklog.CountAsync(bus, run.Topics.Slow, "victim", token)),
            seen => seen.Pid is { } pid && pid != killedPid && seen.Backlog == 0
                && seen.Seen.Any(d => d.Key == inFlight) && seen.Seen.Any(d => d.Key == whileDown),
            "the restarted app got the interrupted message and the one published while it was down, and both were acknowledged",
            seen => $"pid {seen.Pid} (killed {killedPid}), backlog {seen.Backlog}, counts {Counts(seen.Seen)}", TimeSpan.FromSeconds(45), ct);

        Assert.Equal(1, afterRestart.Seen.Count(d => d.Key == inFlight));
        Assert.Equal(1, afterRestart.Seen.Count(d => d.Key == whileDown));
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task A_message_whose_ttl_runs_out_while_the_subscriber_is_down_is_never_delivered(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var id = Guid.NewGuid().ToString("N")[..8];
        var expiring = $"expiring-{id}";
        var lasting = $"lasting-{id}";
        var killedPid = await run.Dapr.KillAppAsync("victim", cancellationToken: ct);

        // The app comes back after at least a second of backoff: the 1 s TTL has run out by then, the 120 s one has not.
        // Redis has no native TTL (the sidecar checks the envelope's expiration); RabbitMQ expires it in the queue.
        await run.PublishBytesAsync($"pubsub/{run.Topics.Slow}?metadata.ttlInSeconds=1", JsonSerializer.SerializeToUtf8Bytes(new { key = expiring }), "application/json", ct);
        await run.PublishBytesAsync($"pubsub/{run.Topics.Slow}?metadata.ttlInSeconds=120", JsonSerializer.SerializeToUtf8Bytes(new { key = lasting }), "application/json", ct);

        var seen = await Eventually.UntilAsync(
            async token => (Pid: await run.Victim.PidAsync(token), Seen: await DeliveriesWhileRestartingAsync(run.Victim, run.Topics.Slow, token),
                Backlog: await BrokerBacklog.CountAsync(bus, run.Topics.Slow, "victim", token)),
            s => s.Pid is { } pid && pid != killedPid && s.Backlog == 0 && s.Seen.Any(d => d.Key == lasting),
            "the restarted app got the message that had time left and the broker holds nothing more",
            s => $"pid {s.Pid} (killed {killedPid}), backlog {s.Backlog}, counts {Counts(s.Seen)}", TimeSpan.FromSeconds(45), ct);

        Assert.True(seen.Seen.All(d => d.Key != expiring), $"the expired message must not be delivered: {Counts(seen.Seen)}");
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task A_message_that_keeps_failing_lands_on_the_dead_letter_topic_once_the_retries_are_spent(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var key = $"doomed-{Guid.NewGuid():N}";
        // RETRY for every attempt on the orders route; the next delivery (the dead letter's) counts past 3 and succeeds.
        await run.PublishAsync(run.Topics.Orders, new { outcome = "retry", retryTimes = PubSubRun.AttemptsPerDelivery, key }, ct);

        var seen = await Eventually.UntilAsync(
            async token => (Deliveries: await run.Subscriber.DeliveriesAsync(run.Topics.Orders, token),
                OrdersBacklog: await BrokerBacklog.CountAsync(bus, run.Topics.Orders, "subscriber", token),
                DeadBacklog: await BrokerBacklog.CountAsync(bus, run.Topics.OrdersDead, "subscriber", token)),
            s => s.OrdersBacklog == 0 && s.DeadBacklog == 0 && s.Deliveries.Any(d => d.Key == key && d.Route == "/subscriptions/2"),
            "the message reaches the dead-letter subscription and both topics are acknowledged",
            s => $"backlogs {s.OrdersBacklog}/{s.DeadBacklog}, deliveries {string.Join(", ", s.Deliveries.Select(d => $"{d.Route}#{d.DeliveryCount}"))}",
            Patience, ct);

        var onOrders = seen.Deliveries.Where(d => d.Key == key && d.Route == "/subscriptions/1").ToList();
        var dead = Assert.Single(seen.Deliveries, d => d.Key == key && d.Route == "/subscriptions/2");
        Assert.True(onOrders.Count == PubSubRun.AttemptsPerDelivery,
            $"the sidecar attempts the delivery {PubSubRun.AttemptsPerDelivery} times (1 + 2 resiliency retries) before dead-lettering, not {onOrders.Count}");
        Assert.All(onOrders, d => Assert.Equal(onOrders[0].Id, d.Id));
        // The dead letter is the original event: same id, and it still names the original topic.
        Assert.Equal(onOrders[0].Id, dead.Id);
        Assert.Equal(run.Topics.Orders, dead.Topic);
        Assert.Equal(PubSubRun.AttemptsPerDelivery + 1, dead.DeliveryCount);
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task Dropped_and_not_found_messages_are_copied_to_the_dead_letter_topic_without_retries(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var dropped = $"dropped-{Guid.NewGuid():N}";
        var notFound = $"not-found-{Guid.NewGuid():N}";
        // The first delivery answers DROP or 404; the next one (the dead letter's) counts past 1 and succeeds.
        await run.PublishAsync(run.Topics.Orders, new { outcome = "drop", retryTimes = 1, key = dropped }, ct);
        await run.PublishAsync(run.Topics.Orders, new { outcome = "404", retryTimes = 1, key = notFound }, ct);

        var seen = await Eventually.UntilAsync(
            async token => (Deliveries: await run.Subscriber.DeliveriesAsync(run.Topics.Orders, token),
                OrdersBacklog: await BrokerBacklog.CountAsync(bus, run.Topics.Orders, "subscriber", token),
                DeadBacklog: await BrokerBacklog.CountAsync(bus, run.Topics.OrdersDead, "subscriber", token)),
            s => s.OrdersBacklog == 0 && s.DeadBacklog == 0
                && s.Deliveries.Any(d => d.Key == dropped && d.Route == "/subscriptions/2") && s.Deliveries.Any(d => d.Key == notFound && d.Route == "/subscriptions/2"),
            "both messages reach the dead-letter subscription and both topics are acknowledged",
            s => $"backlogs {s.OrdersBacklog}/{s.DeadBacklog}, deliveries {string.Join(", ", s.Deliveries.Where(d => d.Key == dropped || d.Key == notFound).Select(d => $"{d.Key}{d.Route}#{d.DeliveryCount}"))}",
            Patience, ct);

        foreach (var key in new[] { dropped, notFound })
        {
            Assert.Single(seen.Deliveries, d => d.Key == key && d.Route == "/subscriptions/1");
            Assert.Single(seen.Deliveries, d => d.Key == key && d.Route == "/subscriptions/2");
        }
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task Replicas_sharing_the_default_consumer_id_compete_so_each_message_is_delivered_once_overall(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var keys = Enumerable.Range(0, 12).Select(i => $"compete-{i}-{Guid.NewGuid():N}").ToList();

        foreach (var key in keys) await run.PublishAsync(run.Topics.Compete, new { key }, ct);

        var seen = await Eventually.UntilAsync(
            async token => (Deliveries: (await Task.WhenAll(run.Workers.Select(w => w.DeliveriesAsync(run.Topics.Compete, token)))).SelectMany(d => d).ToList(),
                Backlog: await BrokerBacklog.CountAsync(bus, run.Topics.Compete, "workers", token)),
            s => s.Backlog == 0 && keys.All(k => s.Deliveries.Any(d => d.Key == k)),
            "every message reached one of the replicas and was acknowledged",
            s => $"backlog {s.Backlog}, counts {Counts(s.Deliveries)}", Patience, ct);

        foreach (var key in keys)
            Assert.True(seen.Deliveries.Count(d => d.Key == key) == 1,
                $"{key} must reach exactly one replica; seen on {string.Join(", ", seen.Deliveries.Where(d => d.Key == key).Select(d => d.Instance))}");
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task Replicas_with_a_pod_name_consumer_id_each_receive_every_message(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var keys = Enumerable.Range(0, 5).Select(i => $"broadcast-{i}-{Guid.NewGuid():N}").ToList();

        foreach (var key in keys) await run.PublishAsync(run.Topics.Broadcast, new { key }, ct, pubsub: "broadcast");

        var seen = await Eventually.UntilAsync(
            async token => (await Task.WhenAll(run.Workers.Select(w => w.DeliveriesAsync(run.Topics.Broadcast, token)))).ToList(),
            perReplica => perReplica.All(deliveries => keys.All(k => deliveries.Any(d => d.Key == k))),
            "both replicas received every message",
            perReplica => string.Join("; ", perReplica.Select((d, i) => $"workers-{i}: {Counts(d)}")), Patience, ct);

        for (var replica = 0; replica < seen.Count; replica++)
        {
            var deliveries = seen[replica];
            Assert.All(deliveries, d => Assert.Equal($"workers-{replica}", d.Instance));
            foreach (var key in keys)
                Assert.True(deliveries.Count(d => d.Key == key) == 1, $"workers-{replica} must receive {key} once: {Counts(deliveries)}");
        }
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task A_bulk_subscription_receives_cloudevents_in_batches_and_each_entry_status_is_acknowledged(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var id = Guid.NewGuid().ToString("N")[..8];
        var keys = new[] { $"bulk-a-{id}", $"bulk-b-{id}", $"bulk-c-{id}" };

        // The app answers SUCCESS for the first two entries and DROP for the third: both acknowledge the message.
        await run.PublishAsync(run.Topics.Bulk, new { key = keys[0] }, ct);
        await run.PublishAsync(run.Topics.Bulk, new { key = keys[1], outcome = "success" }, ct);
        await run.PublishAsync(run.Topics.Bulk, new { key = keys[2], outcome = "drop" }, ct);

        var seen = await Eventually.UntilAsync(
            async token => (Deliveries: await run.Subscriber.DeliveriesAsync(run.Topics.Bulk, token),
                Backlog: await BrokerBacklog.CountAsync(bus, run.Topics.Bulk, "subscriber", token)),
            s => s.Backlog == 0 && keys.All(k => s.Deliveries.Any(d => d.Key == k)),
            "every entry reached the bulk handler and was acknowledged", s => $"backlog {s.Backlog}, counts {Counts(s.Deliveries)}", Patience, ct);

        foreach (var key in keys)
        {
            var delivery = Assert.Single(seen.Deliveries, d => d.Key == key);
            Assert.Equal(("/subscriptions/3", run.Topics.Bulk, "pubsub", "publisher", "com.dapr.event.sent"),
                (delivery.Route, delivery.Topic, delivery.PubSubName, delivery.Source, delivery.Type));
            Assert.True(Guid.TryParse(delivery.Id, out _), $"each entry is a CloudEvent with its own id: {delivery.Id}");
        }
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task A_routing_rule_declared_with_TopicOptions_Match_sends_matching_events_to_its_path_and_others_to_the_default(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var (alarm, reading) = ($"alarm-{Guid.NewGuid():N}", $"reading-{Guid.NewGuid():N}");

        await run.PublishBytesAsync($"pubsub/{run.Topics.Routed}", Encoding.UTF8.GetBytes($$$"""
            {"specversion":"1.0","id":"{{{alarm}}}","source":"device-7","type":"alarm","datacontenttype":"application/json","data":{"key":"{{{alarm}}}"}}
            """), "application/cloudevents+json", ct);
        await run.PublishAsync(run.Topics.Routed, new { key = reading }, ct);

        var seen = await Eventually.UntilAsync(token => run.Subscriber.DeliveriesAsync(run.Topics.Routed, token),
            d => d.Any(x => x.Key == alarm) && d.Any(x => x.Key == reading), "both events were delivered", Counts, Patience, ct);

        Assert.Equal("/alarms", Assert.Single(seen, d => d.Key == alarm).Route);
        Assert.Equal("/subscriptions/4", Assert.Single(seen, d => d.Key == reading).Route);
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task A_raw_payload_reaches_the_app_handler_as_the_published_bytes(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var run = await runs.RunAsync(bus);
        var key = $"raw-{Guid.NewGuid():N}";
        var payload = Encoding.UTF8.GetBytes($$"""{"key":"{{key}}","celsius":21.5}""");

        await run.PublishBytesAsync($"pubsub/{run.Topics.RawToApp}?metadata.rawPayload=true", payload, "application/octet-stream", ct);

        var seen = await Eventually.UntilAsync(token => run.Subscriber.DeliveriesAsync(run.Topics.RawToApp, token),
            d => d.Any(x => x.Key == key), "the raw message was delivered", Counts, Patience, ct);
        var delivery = Assert.Single(seen, d => d.Key == key);
        Assert.Equal(("/subscriptions/5", "application/octet-stream", Convert.ToBase64String(payload)),
            (delivery.Route, delivery.DataContentType, delivery.DataBase64));
    }

    /// <summary>The app's deliveries, or none while it is down and not yet restarted.</summary>
    private static async Task<IReadOnlyList<ObservedDelivery>> DeliveriesWhileRestartingAsync(ConformanceAppClient app, string topic, CancellationToken cancellationToken)
    {
        try
        {
            return await app.DeliveriesAsync(topic, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    private static string Counts(IEnumerable<ObservedDelivery> deliveries) =>
        string.Join(", ", deliveries.GroupBy(d => d.Key).Select(g => $"{g.Key}×{g.Count()}"));
}
