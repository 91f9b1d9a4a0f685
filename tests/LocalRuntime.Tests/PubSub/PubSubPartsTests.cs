using System.Text;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.PubSub;
using DaprIoT.LocalRuntime.PubSub.Brokers;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>Pure parts of the pub/sub block: consumer id templates, topic scopes, CloudEvent details.</summary>
public sealed class PubSubPartsTests
{
    private static SidecarContext Sidecar(string appId, string instanceId, string? ns = null) => new()
    {
        AppId = appId,
        InstanceId = instanceId,
        HttpPort = 3500,
        Namespace = ns,
        Components = [],
        StateStores = new Dictionary<string, IStateStore>(),
        DeclarativeSubscriptions = [],
        Resiliency = ResiliencySpec.Empty,
        App = null!,
        LoggerFactory = NullLoggerFactory.Instance,
        Services = new ServiceCollection().BuildServiceProvider(),
    };

    private static ComponentSpec Component(params (string Key, string Value)[] metadata) =>
        new("pubsub", "pubsub.redis", "v1", metadata.ToDictionary(m => m.Key, m => m.Value), [], false, "pubsub.yaml");

    [Theory]
    [InlineData(null, "orders")]
    [InlineData("{appID}", "orders")]
    [InlineData("{podName}", "orders-1")]
    [InlineData("{appID}-{podName}", "orders-orders-1")]
    [InlineData("{namespace}", "prod.orders")]
    [InlineData("fixed", "fixed")]
    public void Consumer_id_templates_resolve_per_sidecar(string? template, string expected)
    {
        var component = template is null ? Component() : Component(("consumerID", template));

        Assert.Equal(expected, ConsumerId.Resolve(component, Sidecar("orders", "orders-1", "prod")));
    }

    [Fact]
    public void A_uuid_consumer_id_is_new_for_every_sidecar_start()
    {
        var component = Component(("consumerID", "{appID}-{uuid}"));
        var sidecar = Sidecar("orders", "orders-0");

        var first = ConsumerId.Resolve(component, sidecar);
        var second = ConsumerId.Resolve(component, sidecar);

        Assert.StartsWith("orders-", first);
        Assert.True(Guid.TryParse(first["orders-".Length..], out _));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Protected_topics_need_an_explicit_grant()
    {
        var component = Component(("protectedTopics", "secret"), ("publishingScopes", "granted=secret,open"));

        Assert.False(new TopicScopes(component, "other").MayPublish("secret"));
        Assert.True(new TopicScopes(component, "other").MayPublish("open"));
        Assert.True(new TopicScopes(component, "granted").MayPublish("secret"));
        Assert.True(new TopicScopes(component, "granted").MaySubscribe("open"));
    }

    [Fact]
    public void Time_is_RFC3339_to_the_second_with_Z_for_UTC_and_an_offset_otherwise()
    {
        Assert.Equal("2024-09-23T06:23:21Z", CloudEvents.FormatTime(new DateTimeOffset(2024, 9, 23, 6, 23, 21, 500, TimeSpan.Zero)));
        Assert.Equal("2024-09-23T08:23:21+02:00", CloudEvents.FormatTime(new DateTimeOffset(2024, 9, 23, 8, 23, 21, TimeSpan.FromHours(2))));
    }

    [Fact]
    public void Invalid_JSON_sent_as_application_json_is_embedded_as_a_string_and_keys_are_written_in_order()
    {
        var json = Encoding.UTF8.GetString(CloudEvents.Wrap(Encoding.UTF8.GetBytes("{oops"), "application/json; charset=utf-8",
            "app", "ps", "t", new EventTrace("", ""), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch));

        Assert.StartsWith("{\"data\":\"{oops\",\"datacontenttype\":\"application/json; charset=utf-8\",", json);
    }

    [Fact]
    public void A_wrapped_event_has_every_key_in_ordinal_order_and_its_JSON_data_compact()
    {
        var overrides = new Dictionary<string, string> { ["cloudevent.subject"] = "s1", ["cloudevent.id"] = "e1" };
        var json = CloudEvents.Wrap(Encoding.UTF8.GetBytes("{ \"b\": 1,\n \"a\": [1, 2.50] }"), "application/json", "app", "ps", "t",
            new EventTrace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k=v"), overrides, DateTimeOffset.UnixEpoch,
            expiration: "1970-01-01T00:00:10Z");

        using var document = System.Text.Json.JsonDocument.Parse(json);
        var keys = document.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Equal(["data", "datacontenttype", "expiration", "id", "pubsubname", "source", "specversion", "subject", "time",
            "topic", "traceid", "traceparent", "tracestate", "type"], keys);
        // The payload keeps its own key order and its numbers as written, without the white space.
        Assert.Equal("{\"b\":1,\"a\":[1,2.50]}", document.RootElement.GetProperty("data").GetRawText());
        Assert.Equal("e1", document.RootElement.GetProperty("id").GetString());
        Assert.Equal("app", document.RootElement.GetProperty("source").GetString());
    }

    [Fact]
    public void A_binary_payload_is_wrapped_as_data_base64()
    {
        var json = Encoding.UTF8.GetString(CloudEvents.Wrap(new byte[] { 0xff, 0x00 }, "application/octet-stream", "", "ps", "t",
            new EventTrace("", ""), new Dictionary<string, string>(), DateTimeOffset.UnixEpoch));

        Assert.StartsWith("{\"data_base64\":\"/wA=\",\"datacontenttype\":\"application/octet-stream\",", json);
        Assert.Contains("\"source\":\"Dapr\"", json);
    }

    [Fact]
    public void A_delivered_event_reads_its_top_level_string_attributes_as_a_Go_map_would()
    {
        var delivered = DeliveredEvent.Read(Encoding.UTF8.GetBytes(
            """{"data":{"id":"inner","traceparent":"inner"},"id":"first","\u0069d":"second","traceparent":"tp","tracestate":7,"baggage":"b=1","expiration":"2000-01-01T00:00:00Z"} """));

        Assert.NotNull(delivered);
        Assert.Equal("second", delivered.Id); // the last of a repeated key counts, however its name is escaped
        Assert.Equal("tp", delivered.Traceparent); // not the payload's own attribute of the same name
        Assert.Null(delivered.Tracestate); // not a string: absent
        Assert.Equal("b=1", delivered.Baggage);
        Assert.True(delivered.HasExpired(new DateTimeOffset(2000, 1, 1, 0, 0, 1, TimeSpan.Zero)));
        Assert.False(delivered.HasExpired(new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero)));
        // Routing rules see the whole event, parsed when first asked for.
        Assert.Equal("inner", (string?)DeliveredEvent.Read(Encoding.UTF8.GetBytes("""{"data":{"id":"inner"}}"""))!.Nodes["data"]!["id"]);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"text\"")]
    [InlineData("{\"id\":\"a\"} {}")]
    [InlineData("{\"id\":\"a\",}")]
    [InlineData("{\"id\":\"a\"")]
    [InlineData("")]
    public void What_is_not_one_JSON_object_is_no_delivered_event(string text) =>
        Assert.Null(DeliveredEvent.Read(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void A_publish_keeps_the_sidecars_span_and_a_delivery_is_a_child_in_the_same_trace()
    {
        var fresh = EventTrace.FromRequest("garbage", null);
        var kept = EventTrace.FromRequest(fresh.Traceparent, "k=v");
        var child = EventTrace.ChildOf(kept.Traceparent, kept.Tracestate);

        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-00$", fresh.Traceparent);
        Assert.Equal(fresh.Traceparent, kept.Traceparent);
        Assert.Equal(fresh.Traceparent[..36], child.Traceparent[..36]);
        Assert.NotEqual(fresh.Traceparent, child.Traceparent);
        Assert.Equal("k=v", child.Tracestate);
    }

    [Theory]
    [InlineData("redisType", "cluster")]
    [InlineData("enableTLS", "true")]
    [InlineData("concurrency", "0")]
    [InlineData("processingTimeout", "soon")]
    public void Redis_settings_the_runtime_cannot_honour_fail_naming_the_field(string key, string value)
    {
        var component = Component(("redisHost", "127.0.0.1:6379"), (key, value));

        var error = Assert.Throws<LocalRuntime.Configuration.ConfigurationException>(() =>
            LocalRuntime.PubSub.Brokers.PubSubBrokerFactory.Create(component, Sidecar("orders", "orders-0"), NullLogger.Instance));

        Assert.Equal("pubsub.yaml", error.File);
        Assert.EndsWith(key, error.Field);
    }
}
