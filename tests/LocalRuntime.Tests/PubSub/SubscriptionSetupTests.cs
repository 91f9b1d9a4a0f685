using System.Text;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.PubSub;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>Which subscriptions a sidecar starts: programmatic and declarative, scopes, and what it reports in metadata.</summary>
public sealed class SubscriptionSetupTests : PubSubTest
{
    private readonly string _topic = $"topic-{Guid.NewGuid():N}";

    private async Task<SubscriberApp> AppAsync()
    {
        var app = await SubscriberApp.StartAsync(Ct);
        Owned.Add(app);
        return app;
    }

    [Fact]
    public async Task Programmatic_v1_and_v2_subscriptions_from_dapr_subscribe_are_delivered_and_described()
    {
        var app = await AppAsync();
        var answer = $$"""
            [ { "pubsubname": "pubsub", "topic": "{{_topic}}-v1", "route": "orders" },
              { "pubsubname": "pubsub", "topic": "{{_topic}}-v2", "route": "/ignored",
                "routes": { "rules": [ { "match": "event.type == \"alarm\"", "path": "/alarms" } ], "default": "/v2" },
                "metadata": { "rawPayload": "false" }, "deadLetterTopic": "dead",
                "bulkSubscribe": { "enabled": true, "maxMessagesCount": 10 } } ]
            """;
        var sidecar = await PubSubSidecar.StartAsync(AppId, [Brokers.Component(BrokerKind.InMemory)], app, subscribeAnswer: answer);
        Owned.Add(sidecar);

        foreach (var topic in (string[])[$"{_topic}-v1", $"{_topic}-v2"])
        {
            using var content = new StringContent("{}", Encoding.UTF8, "application/json");
            (await sidecar.Client.PostAsync($"/v1.0/publish/pubsub/{topic}", content, Ct)).EnsureSuccessStatusCode();
        }
        await Poll.UntilAsync(() => app.At("/orders").Count == 1 && app.At("/v2").Count == 1, Ct);

        var metadata = new JsonObject();
        sidecar.Feature.DescribeMetadata(metadata);
        var v2 = metadata["subscriptions"]!.AsArray().Single(s => (string?)s!["topic"] == $"{_topic}-v2")!;
        Assert.Equal("PROGRAMMATIC", (string?)v2["type"]);
        Assert.True(sidecar.Feature.Subscriptions.Single(s => s.Topic == $"{_topic}-v2").BulkSubscribeEnabled);
        Assert.Equal("pubsub", (string?)v2["pubsubname"]);
        Assert.Equal("dead", (string?)v2["deadLetterTopic"]);
        Assert.Equal("false", (string?)v2["metadata"]!["rawPayload"]);
        Assert.Equal("""[{"match":"event.type == \u0022alarm\u0022","path":"/alarms"},{"match":"","path":"/v2"}]""",
            v2["rules"]!.ToJsonString());
    }

    [Fact]
    public async Task Declarative_subscriptions_scoped_to_another_app_and_topics_outside_subscriptionScopes_are_not_consumed()
    {
        var app = await AppAsync();
        var component = Brokers.Component(BrokerKind.InMemory, extra: ("subscriptionScopes", $"{AppId}={_topic}"));
        var sidecar = await PubSubSidecar.StartAsync(AppId, [component], app, declarative:
        [
            Brokers.Subscription(_topic),
            Brokers.Subscription($"{_topic}-unscoped"),
            Brokers.Subscription($"{_topic}-theirs", scopes: ["another-app"]),
            Brokers.Subscription($"{_topic}-nowhere", pubsub: "missing"),
        ]);
        Owned.Add(sidecar);

        Assert.Equal([_topic], sidecar.Feature.Subscriptions.Select(s => s.Topic));
    }

    [Fact]
    public async Task A_sidecar_without_an_app_port_consumes_nothing()
    {
        var sidecar = await PubSubSidecar.StartAsync(AppId, [Brokers.Component(BrokerKind.InMemory)], app: null,
            declarative: [Brokers.Subscription(_topic)]);
        Owned.Add(sidecar);

        Assert.Empty(sidecar.Feature.Subscriptions);
    }

    [Fact]
    public async Task A_routing_rule_outside_the_supported_CEL_fails_the_start_naming_the_rule()
    {
        var app = await AppAsync();

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => PubSubSidecar.StartAsync(AppId,
            [Brokers.Component(BrokerKind.InMemory)], app,
            declarative: [Brokers.Subscription(_topic, rules: [new SubscriptionRule("event.type + 1 == 2", "/x")])]));

        Assert.Equal("subscription.yaml", error.File);
        Assert.Contains("routes.rules[0].match", error.Field);
        Assert.Contains("'+'", error.Problem);
    }

    [Fact]
    public async Task A_dapr_subscribe_answer_without_a_topic_fails_the_start_naming_the_element()
    {
        var app = await AppAsync();

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => PubSubSidecar.StartAsync(AppId,
            [Brokers.Component(BrokerKind.InMemory)], app, subscribeAnswer: """[{"pubsubname":"pubsub","route":"/x"}]"""));

        Assert.Equal("GET /dapr/subscribe", error.File);
        Assert.Equal("[0].topic", error.Field);
    }

    [Fact]
    public void The_dotnet_sdks_dapr_subscribe_answer_is_read_with_keys_matched_case_insensitively_as_daprd_does()
    {
        // As Dapr.AspNetCore 1.19.1's MapSubscribeHandler writes it: "pubsubName", routes without a leading slash.
        using var answer = System.Text.Json.JsonDocument.Parse("""
            [{"topic":"orders","pubsubName":"pubsub","route":"orders","deadLetterTopic":"orders-dead"},
             {"topic":"routed","pubsubName":"pubsub","routes":{"default":"orders/default","rules":[{"match":"event.type == \u0022v2\u0022","path":"orders/v2"}]}},
             {"topic":"bulktopic","pubsubName":"pubsub","route":"bulk","metadata":{"rawPayload":"true"},
              "bulkSubscribe":{"enabled":true,"maxMessagesCount":50,"maxAwaitDurationMs":40}},
             {"TOPIC":"shouting","PUBSUBNAME":"pubsub","ROUTE":"loud"}]
            """);

        var subscriptions = ProgrammaticSubscriptions.Parse(answer.RootElement);

        Assert.Equal([("pubsub", "orders", "orders"), ("pubsub", "routed", "orders/default"), ("pubsub", "bulktopic", "bulk"), ("pubsub", "shouting", "loud")],
            subscriptions.Select(s => (s.PubsubName, s.Topic, s.DefaultPath)));
        Assert.Equal("orders-dead", subscriptions[0].DeadLetterTopic);
        Assert.Equal([new SubscriptionRule("event.type == \"v2\"", "orders/v2")], subscriptions[1].Rules);
        Assert.True(subscriptions[2].RawPayload);
        Assert.Equal((true, 50, 40), (subscriptions[2].BulkSubscribeEnabled, subscriptions[2].BulkMaxMessagesCount, subscriptions[2].BulkMaxAwaitDurationMs));
    }
}
