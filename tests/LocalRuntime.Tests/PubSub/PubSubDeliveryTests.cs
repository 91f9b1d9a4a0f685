using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.PubSub;
using DaprIoT.LocalRuntime.Resiliency;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>Publish → broker → delivery → app answer, against real Redis, real RabbitMQ and the in-memory bus.</summary>
public sealed class PubSubDeliveryTests : PubSubTest
{

    private string NewTopic(string consumerId = "")
    {
        var topic = $"topic-{Guid.NewGuid():N}";
        Topics.Add(topic);
        Queues.Add($"{(consumerId.Length > 0 ? consumerId : AppId)}-{topic}");
        return topic;
    }

    private async Task<SubscriberApp> AppAsync()
    {
        var app = await SubscriberApp.StartAsync(Ct);
        Owned.Add(app);
        return app;
    }

    private async Task<PubSubSidecar> SidecarAsync(BrokerKind kind, SubscriberApp? app, params SubscriptionSpec[] subscriptions) =>
        await SidecarAsync(Brokers.Component(kind), app, subscriptions);

    private async Task<PubSubSidecar> SidecarAsync(DaprIoT.LocalRuntime.Components.ComponentSpec component, SubscriberApp? app,
        SubscriptionSpec[] subscriptions, string? instanceId = null, ResiliencySpec? resiliency = null, TimeProvider? clock = null)
    {
        var sidecar = await PubSubSidecar.StartAsync(AppId, [component], app, instanceId, subscriptions, resiliency: resiliency, clock: clock);
        Owned.Add(sidecar);
        return sidecar;
    }

    private static async Task PublishAsync(PubSubSidecar sidecar, string topic, string body, string? contentType = "application/json",
        string query = "", string pubsub = "pubsub")
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await sidecar.Client.PostAsync($"/v1.0/publish/{pubsub}/{topic}{query}", content, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static Task Until(Func<bool> condition, double seconds = 10) =>
        Poll.UntilAsync(condition, Ct, TimeSpan.FromSeconds(seconds));

    /// <summary>
    /// The sidecar counted one dead letter. It counts once the broker took the dead letter, and a subscriber of the
    /// dead-letter topic may have it before that: wait for the count, then check that it stays at one.
    /// </summary>
    private static async Task DeadLetteredOnce(PubSubSidecar sidecar)
    {
        await Until(() => sidecar.Feature.Statistics.DeadLettered >= 1);
        Assert.Equal(1, sidecar.Feature.Statistics.DeadLettered);
    }

    /// <summary>Long enough for Redis (500 ms pending + 200 ms checks) or RabbitMQ (immediate requeue) to redeliver.</summary>
    private static Task RedeliveryWindow() => Task.Delay(TimeSpan.FromMilliseconds(1500), Ct);

    [Theory]
    [MemberData(nameof(Brokers.All), MemberType = typeof(Brokers))]
    public async Task A_JSON_publish_arrives_as_daprds_CloudEvent_with_trace_context(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var sidecar = await SidecarAsync(kind, app, Brokers.Subscription(topic));
        var parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        using var content = new StringContent("{\"orderId\":1,\"price\":12.50}", Encoding.UTF8, "application/json");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1.0/publish/pubsub/{topic}") { Content = content };
        request.Headers.Add("traceparent", parent);
        using var response = await sidecar.Client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        await Until(() => app.At("/events").Count == 1);
        var delivery = app.At("/events")[0];
        var ce = delivery.Event;
        Assert.True(Guid.TryParse((string?)ce["id"], out _));
        Assert.Equal("1.0", (string?)ce["specversion"]);
        Assert.Equal(AppId, (string?)ce["source"]);
        Assert.Equal("com.dapr.event.sent", (string?)ce["type"]);
        Assert.Equal("application/json", (string?)ce["datacontenttype"]);
        Assert.Equal(topic, (string?)ce["topic"]);
        Assert.Equal("pubsub", (string?)ce["pubsubname"]);
        Assert.Equal("{\"orderId\":1,\"price\":12.50}", ce["data"]!.ToJsonString());
        Assert.Null(ce["data_base64"]);
        var traceparent = (string)ce["traceparent"]!;
        Assert.Equal(traceparent, (string?)ce["traceid"]);
        Assert.Equal(parent, traceparent); // the sidecar's publish span; its middleware makes it a child of the caller's
        Assert.Equal("", (string?)ce["tracestate"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$", (string)ce["time"]!);
        Assert.Equal("application/cloudevents+json", delivery.Headers["content-type"]);
        Assert.Equal("pubsub", delivery.Headers["pubsubname"]);
        Assert.Contains("-0af7651916cd43dd8448eb211c80319c-", delivery.Headers["traceparent"]);
    }

    [Theory]
    [MemberData(nameof(Brokers.All), MemberType = typeof(Brokers))]
    public async Task Text_without_a_content_type_becomes_a_text_plain_string_and_binary_goes_to_data_base64(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var sidecar = await SidecarAsync(kind, app, Brokers.Subscription(topic));

        await PublishAsync(sidecar, topic, "{\"not\":\"parsed\"}", contentType: null);
        await PublishAsync(sidecar, topic, "bytes", contentType: "application/octet-stream");
        await PublishAsync(sidecar, topic, "{\"a\":1}", contentType: "application/vnd.acme+json");

        await Until(() => app.At("/events").Count == 3);
        var events = app.At("/events").Select(d => d.Event).ToDictionary(e => (string)e["datacontenttype"]!);
        Assert.Equal("{\"not\":\"parsed\"}", (string?)events["text/plain"]["data"]);
        Assert.Equal(Convert.ToBase64String("bytes"u8.ToArray()), (string?)events["application/octet-stream"]["data_base64"]);
        Assert.Null(events["application/octet-stream"]["data"]);
        Assert.Equal("{\"a\":1}", (string?)events["application/vnd.acme+json"]["data"]);
    }

    [Theory]
    [MemberData(nameof(Brokers.All), MemberType = typeof(Brokers))]
    public async Task An_apps_own_CloudEvent_keeps_its_attributes_and_gets_topic_pubsubname_and_time(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var sidecar = await SidecarAsync(kind, app, Brokers.Subscription(topic));

        await PublishAsync(sidecar, topic,
            "{\"id\":\"my-id\",\"source\":\"bulb-7\",\"type\":\"bulb.reported\",\"specversion\":\"1.0\",\"topic\":\"wrong\",\"myext\":\"kept\",\"data\":{\"on\":true}}",
            contentType: "application/cloudevents+json");

        await Until(() => app.At("/events").Count == 1);
        var ce = app.At("/events")[0].Event;
        Assert.Equal("my-id", (string?)ce["id"]);
        Assert.Equal("bulb-7", (string?)ce["source"]);
        Assert.Equal("bulb.reported", (string?)ce["type"]);
        Assert.Equal("kept", (string?)ce["myext"]);
        Assert.Equal(topic, (string?)ce["topic"]);
        Assert.Equal("pubsub", (string?)ce["pubsubname"]);
        Assert.NotNull(ce["time"]);
        Assert.Equal((string?)ce["traceparent"], (string?)ce["traceid"]);
        Assert.True((bool)ce["data"]!["on"]!);
    }

    [Fact]
    public async Task Cloudevent_metadata_overrides_id_type_source_and_subject_but_not_topic()
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var sidecar = await SidecarAsync(BrokerKind.Redis, app, Brokers.Subscription(topic));

        await PublishAsync(sidecar, topic, "{}",
            query: "?metadata.cloudevent.id=fixed&metadata.cloudevent.type=my.type&metadata.cloudevent.source=me&metadata.cloudevent.subject=s1&metadata.cloudevent.topic=other");

        await Until(() => app.At("/events").Count == 1);
        var delivery = app.At("/events")[0];
        var ce = delivery.Event;
        Assert.Equal("fixed", (string?)ce["id"]);
        Assert.Equal("my.type", (string?)ce["type"]);
        Assert.Equal("me", (string?)ce["source"]);
        Assert.Equal("s1", (string?)ce["subject"]);
        Assert.Equal(topic, (string?)ce["topic"]);
        // Redis round-trips publish metadata, which daprd turns into delivery headers.
        Assert.Equal("fixed", delivery.Headers["cloudevent.id"]);
    }

    [Theory]
    [MemberData(nameof(Brokers.All), MemberType = typeof(Brokers))]
    public async Task A_SUCCESS_answer_acknowledges_so_the_event_is_not_redelivered(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        app.Handle("/events", _ => Results.Json(new { status = "SUCCESS" }));
        var sidecar = await SidecarAsync(kind, app, Brokers.Subscription(topic));

        await PublishAsync(sidecar, topic, "{\"n\":1}");
        await Until(() => app.At("/events").Count == 1);
        await RedeliveryWindow();

        Assert.Single(app.At("/events"));
        Assert.Equal(1, sidecar.Feature.Statistics.Delivered);
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task A_RETRY_answer_gets_the_same_event_redelivered(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var calls = 0;
        app.Handle("/events", _ => Interlocked.Increment(ref calls) == 1 ? Results.Json(new { status = "RETRY" }) : Results.Ok());
        var sidecar = await SidecarAsync(kind, app, Brokers.Subscription(topic));

        await PublishAsync(sidecar, topic, "{\"n\":1}");

        await Until(() => app.At("/events").Count == 2);
        var deliveries = app.At("/events");
        Assert.Equal(deliveries[0].Id, deliveries[1].Id);
        await Until(() => sidecar.Feature.Statistics.Delivered == 1);
        Assert.Equal(1, sidecar.Feature.Statistics.ReturnedToBroker);
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task A_500_answer_gets_the_event_redelivered(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var calls = 0;
        app.Handle("/events", _ => Interlocked.Increment(ref calls) == 1 ? Results.StatusCode(500) : Results.NoContent());
        var sidecar = await SidecarAsync(kind, app, Brokers.Subscription(topic));

        await PublishAsync(sidecar, topic, "{\"n\":1}");

        await Until(() => app.At("/events").Count == 2 && sidecar.Feature.Statistics.Delivered == 1);
    }

    [Fact]
    public async Task The_in_memory_bus_never_redelivers_a_failed_event_but_counts_it()
    {
        var app = await AppAsync();
        var topic = NewTopic();
        app.Handle("/events", _ => Results.StatusCode(500));
        var sidecar = await SidecarAsync(BrokerKind.InMemory, app, Brokers.Subscription(topic));

        await PublishAsync(sidecar, topic, "{\"n\":1}");
        await Until(() => sidecar.Feature.Statistics.ReturnedToBroker == 1);
        await RedeliveryWindow();

        Assert.Single(app.At("/events"));
        Assert.Contains(sidecar.Logs, l => l.StartsWith("Error:") && l.Contains("in-memory pub/sub never redelivers"));
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task DROP_and_404_answers_are_acknowledged_and_counted_as_drops(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        app.Handle("/events", d => (int)d.Event["data"]!["n"]! == 1 ? Results.Json(new { status = "DROP" }) : Results.NotFound());
        var sidecar = await SidecarAsync(kind, app, Brokers.Subscription(topic));

        await PublishAsync(sidecar, topic, "{\"n\":1}");
        await PublishAsync(sidecar, topic, "{\"n\":2}");
        await Until(() => sidecar.Feature.Statistics.Dropped == 2);
        await RedeliveryWindow();

        Assert.Equal(2, app.At("/events").Count);
        Assert.Equal(0, sidecar.Feature.Statistics.ReturnedToBroker);
        Assert.Contains(sidecar.Logs, l => l.StartsWith("Warning: Dropped event") && l.EndsWith("the app answered DROP"));
        Assert.Contains(sidecar.Logs, l => l.StartsWith("Warning: Dropped event") && l.EndsWith("the app answered 404"));
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task A_2xx_with_a_garbage_body_is_success_but_a_lower_case_status_is_a_retry(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var calls = 0;
        app.Handle("/events", d => (int)d.Event["data"]!["n"]! == 1
            ? Results.Text("<html>not json</html>", "text/html")
            : Interlocked.Increment(ref calls) switch
            {
                1 => Results.Json(new { status = "success" }),                  // values are case-sensitive: a retry
                2 => Results.Text("{\"Status\":\"RETRY\"}", "application/json"), // keys are not (Go's decoder): a retry
                _ => Results.Ok(),
            });
        var sidecar = await SidecarAsync(kind, app, Brokers.Subscription(topic));

        await PublishAsync(sidecar, topic, "{\"n\":1}");
        await PublishAsync(sidecar, topic, "{\"n\":2}");

        await Until(() => sidecar.Feature.Statistics.Delivered == 2);
        Assert.Equal(2, sidecar.Feature.Statistics.ReturnedToBroker);
        Assert.Single(app.At("/events"), d => (int)d.Event["data"]!["n"]! == 1);
        Assert.Equal(3, app.At("/events").Count(d => (int)d.Event["data"]!["n"]! == 2));
    }

    [Theory]
    [MemberData(nameof(Brokers.All), MemberType = typeof(Brokers))]
    public async Task Without_a_retry_policy_the_first_failure_goes_to_the_dead_letter_topic(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var deadLetters = NewTopic();
        app.Handle("/events", _ => Results.StatusCode(503));
        var sidecar = await SidecarAsync(kind, app,
            Brokers.Subscription(topic, deadLetterTopic: deadLetters), Brokers.Subscription(deadLetters, "/dead"));

        await PublishAsync(sidecar, topic, "{\"n\":1}");

        await Until(() => app.At("/dead").Count == 1);
        var original = Assert.Single(app.At("/events"));
        var dead = app.At("/dead")[0].Event;
        Assert.Equal(original.Id, (string?)dead["id"]);
        Assert.Equal(topic, (string?)dead["topic"]);
        await DeadLetteredOnce(sidecar);
        Assert.Contains(sidecar.Logs, l => l.Contains($"sent to dead-letter topic {deadLetters}: the app answered 503"));
        await RedeliveryWindow();
        Assert.Single(app.At("/events"));
    }

    [Theory]
    [MemberData(nameof(Brokers.All), MemberType = typeof(Brokers))]
    public async Task With_a_retry_policy_the_sidecar_retries_first_then_dead_letters(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var deadLetters = NewTopic();
        app.Handle("/events", _ => Results.Json(new { status = "RETRY" }));
        var retry = new RetryPolicy("pubsubRetry", RetryBackoff.Constant, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1), 2);
        var resiliency = ResiliencySpec.Empty with
        {
            ComponentInbound = new Dictionary<string, TargetPolicies> { ["pubsub"] = new(retry, null) },
        };
        await SidecarAsync(Brokers.Component(kind), app,
            [Brokers.Subscription(topic, deadLetterTopic: deadLetters), Brokers.Subscription(deadLetters, "/dead")], resiliency: resiliency);

        await PublishAsync(sidecar: Owned.OfType<PubSubSidecar>().Single(), topic, "{\"n\":1}");

        await Until(() => app.At("/dead").Count == 1);
        Assert.Equal(3, app.At("/events").Count); // the first attempt and two retries
    }

    [Fact]
    public async Task An_app_slower_than_the_inbound_timeout_counts_as_a_failure_and_is_dead_lettered()
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var deadLetters = NewTopic();
        app.Handle("/events", async _ =>
        {
            await Task.Delay(TimeSpan.FromSeconds(5), Ct);
            return Results.Ok();
        });
        var resiliency = ResiliencySpec.Empty with
        {
            ComponentInbound = new Dictionary<string, TargetPolicies> { ["pubsub"] = new(null, TimeSpan.FromMilliseconds(200)) },
        };
        var sidecar = await SidecarAsync(Brokers.Component(BrokerKind.Redis), app,
            [Brokers.Subscription(topic, deadLetterTopic: deadLetters), Brokers.Subscription(deadLetters, "/dead")], resiliency: resiliency);

        await PublishAsync(sidecar, topic, "{\"n\":1}");

        await Until(() => app.At("/dead").Count == 1, seconds: 3);
        await DeadLetteredOnce(sidecar);
    }

    [Theory]
    [MemberData(nameof(Brokers.All), MemberType = typeof(Brokers))]
    public async Task A_raw_payload_subscription_receives_a_synthetic_CloudEvent_with_data_base64(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var sidecar = await SidecarAsync(kind, app,
            Brokers.Subscription(topic, metadata: new() { ["rawPayload"] = "true" }));

        await PublishAsync(sidecar, topic, "{\"device\":\"bulb-1\"}", query: "?metadata.rawPayload=true");

        await Until(() => app.At("/events").Count == 1);
        var ce = app.At("/events")[0].Event;
        Assert.Equal("{\"device\":\"bulb-1\"}", Encoding.UTF8.GetString(Convert.FromBase64String((string)ce["data_base64"]!)));
        Assert.Equal("application/octet-stream", (string?)ce["datacontenttype"]);
        Assert.Equal("Dapr", (string?)ce["source"]);
        Assert.Equal(topic, (string?)ce["topic"]);
        Assert.True(Guid.TryParse((string?)ce["id"], out _));
    }

    [Theory]
    [MemberData(nameof(Brokers.All), MemberType = typeof(Brokers))]
    public async Task Routing_rules_pick_the_first_matching_path_and_fall_back_to_the_default(BrokerKind kind)
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var sidecar = await SidecarAsync(kind, app, Brokers.Subscription(topic, "/all", rules:
        [
            new SubscriptionRule("event.type == \"alarm\"", "/alarms"),
            new SubscriptionRule("event.data.level > 5.0 && event.data.kind != \"test\"", "high"),
        ]));

        await PublishAsync(sidecar, topic, "{\"level\":1}", query: "?metadata.cloudevent.type=alarm");
        await PublishAsync(sidecar, topic, "{\"level\":9,\"kind\":\"real\"}");
        await PublishAsync(sidecar, topic, "{\"level\":9,\"kind\":\"test\"}");

        await Until(() => app.Received.Count == 3);
        Assert.Single(app.At("/alarms"));
        Assert.Equal("real", (string?)Assert.Single(app.At("/high")).Event["data"]!["kind"]);
        Assert.Equal("test", (string?)Assert.Single(app.At("/all")).Event["data"]!["kind"]);
    }

    [Fact]
    public async Task An_event_matching_no_rule_without_a_default_is_dropped_and_dead_lettered()
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var deadLetters = NewTopic();
        var sidecar = await SidecarAsync(BrokerKind.Redis, app,
            new SubscriptionSpec(SubscriptionKind.Declarative, "pubsub", topic, null,
                [new SubscriptionRule("event.type == \"alarm\"", "/alarms")], deadLetters, new Dictionary<string, string>(), [], "s.yaml"),
            Brokers.Subscription(deadLetters, "/dead"));

        await PublishAsync(sidecar, topic, "{}");

        await Until(() => app.At("/dead").Count == 1);
        Assert.Empty(app.At("/alarms"));
        Assert.Equal(1, sidecar.Feature.Statistics.Dropped);
    }

    [Fact]
    public async Task A_rule_that_cannot_be_evaluated_for_an_event_fails_its_delivery_like_daprd()
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var deadLetters = NewTopic();
        var sidecar = await SidecarAsync(BrokerKind.Redis, app,
            Brokers.Subscription(topic, "/all", deadLetterTopic: deadLetters, rules: [new SubscriptionRule("event.data.level > 5.0", "/high")]),
            Brokers.Subscription(deadLetters, "/dead"));

        await PublishAsync(sidecar, topic, "{\"kind\":\"no level\"}");

        await Until(() => app.At("/dead").Count == 1);
        Assert.Empty(app.At("/all"));
        Assert.Empty(app.At("/high"));
        await DeadLetteredOnce(sidecar);
    }

    [Fact]
    public async Task An_expired_event_is_dropped_by_the_subscribing_sidecar_and_dead_lettered()
    {
        var app = await AppAsync();
        var topic = NewTopic();
        var deadLetters = NewTopic();
        // The subscriber's clock runs an hour ahead, so a 60 s TTL has passed when the event arrives. The dead
        // letter keeps its expiration, so it is read by a sidecar with the right time.
        var subscriber = await SidecarAsync(Brokers.Component(BrokerKind.Redis), app,
            [Brokers.Subscription(topic, deadLetterTopic: deadLetters)], clock: new ShiftedClock(TimeSpan.FromHours(1)));
        var publisher = await SidecarAsync(Brokers.Component(BrokerKind.Redis), app, [Brokers.Subscription(deadLetters, "/dead")],
            instanceId: "publisher");

        await PublishAsync(publisher, topic, "{\"n\":1}", query: "?metadata.ttlInSeconds=60");

        await Until(() => app.At("/dead").Count == 1);
        Assert.Empty(app.At("/events"));
        Assert.NotNull(app.At("/dead")[0].Event["expiration"]);
        Assert.Equal(1, subscriber.Feature.Statistics.Dropped);
    }
}
