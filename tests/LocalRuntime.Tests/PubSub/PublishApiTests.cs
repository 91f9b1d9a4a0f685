using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.PubSub;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>The publish API's answers (§3.1): status codes and daprd's error codes.</summary>
public sealed class PublishApiTests : PubSubTest
{
    private readonly string _topic = $"topic-{Guid.NewGuid():N}";

    public PublishApiTests() => Topics.AddRange([_topic, "allowed", "other"]);

    private async Task<PubSubSidecar> SidecarAsync(params ComponentSpec[] components)
    {
        var sidecar = await PubSubSidecar.StartAsync(AppId, components);
        Owned.Add(sidecar);
        return sidecar;
    }

    private static async Task<(HttpStatusCode Status, DaprError? Error)> PostAsync(PubSubSidecar sidecar, string path,
        string body = "{}", string contentType = "application/json", HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        using var response = await sidecar.Client.SendAsync(request, Ct);
        var error = response.Content.Headers.ContentLength > 0 ? await response.Content.ReadFromJsonAsync<DaprError>(Ct) : null;
        return (response.StatusCode, error);
    }

    [Fact]
    public async Task Publishing_without_any_pubsub_component_is_400_not_configured()
    {
        var sidecar = await SidecarAsync();

        var (status, error) = await PostAsync(sidecar, $"/v1.0/publish/pubsub/{_topic}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ERR_PUBSUB_NOT_CONFIGURED", error?.ErrorCode);
    }

    [Fact]
    public async Task An_unknown_pubsub_is_404_and_a_missing_topic_or_name_is_404_with_its_own_code()
    {
        var sidecar = await SidecarAsync(Brokers.Component(BrokerKind.InMemory));

        Assert.Equal((HttpStatusCode.NotFound, "ERR_PUBSUB_NOT_FOUND"), Code(await PostAsync(sidecar, $"/v1.0/publish/nope/{_topic}")));
        Assert.Equal((HttpStatusCode.NotFound, "ERR_TOPIC_NAME_EMPTY"), Code(await PostAsync(sidecar, "/v1.0/publish/pubsub")));
        Assert.Equal((HttpStatusCode.NotFound, "ERR_TOPIC_NAME_EMPTY"), Code(await PostAsync(sidecar, "/v1.0/publish/pubsub/")));
        Assert.Equal((HttpStatusCode.NotFound, "ERR_PUBSUB_EMPTY"), Code(await PostAsync(sidecar, "/v1.0/publish")));
    }

    [Fact]
    public async Task Bad_rawPayload_or_ttl_metadata_is_400_request_metadata()
    {
        var sidecar = await SidecarAsync(Brokers.Component(BrokerKind.InMemory));

        Assert.Equal((HttpStatusCode.BadRequest, "ERR_PUBSUB_REQUEST_METADATA"),
            Code(await PostAsync(sidecar, $"/v1.0/publish/pubsub/{_topic}?metadata.rawPayload=maybe")));
        Assert.Equal((HttpStatusCode.BadRequest, "ERR_PUBSUB_REQUEST_METADATA"),
            Code(await PostAsync(sidecar, $"/v1.0/publish/pubsub/{_topic}?metadata.ttlInSeconds=soon")));
    }

    [Fact]
    public async Task A_cloudevents_body_that_is_not_a_JSON_object_is_500_cloud_events_ser()
    {
        var sidecar = await SidecarAsync(Brokers.Component(BrokerKind.InMemory));

        var result = await PostAsync(sidecar, $"/v1.0/publish/pubsub/{_topic}", "[1,2]", "application/cloudevents+json");

        Assert.Equal((HttpStatusCode.InternalServerError, "ERR_PUBSUB_CLOUD_EVENTS_SER"), Code(result));
    }

    [Fact]
    public async Task A_broker_that_cannot_be_reached_is_500_publish_message()
    {
        var closedPort = ClosedPort();
        var sidecar = await SidecarAsync(Brokers.Component(BrokerKind.Redis, extra: ("redisHost", $"127.0.0.1:{closedPort}")));

        var (status, error) = await PostAsync(sidecar, $"/v1.0/publish/pubsub/{_topic}");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("ERR_PUBSUB_PUBLISH_MESSAGE", error?.ErrorCode);
        Assert.Contains(_topic, error!.Message);
    }

    [Fact]
    public async Task Publishing_scopes_allow_listed_topics_and_forbid_the_rest_with_403()
    {
        var sidecar = await SidecarAsync(Brokers.Component(BrokerKind.Redis, extra: ("publishingScopes", $"{AppId}=allowed;someone-else=other")));

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(sidecar, "/v1.0/publish/pubsub/allowed")).Status);
        var forbidden = await PostAsync(sidecar, "/v1.0/publish/pubsub/other");
        Assert.Equal((HttpStatusCode.Forbidden, "ERR_PUBSUB_FORBIDDEN"), Code(forbidden));
        Assert.Contains(AppId, forbidden.Error!.Message);
    }

    [Fact]
    public async Task An_app_listed_with_no_topics_may_publish_nothing_and_allowedTopics_limits_everyone()
    {
        var denied = await SidecarAsync(Brokers.Component(BrokerKind.InMemory, extra: ("publishingScopes", $"{AppId}=")));
        var limited = await PubSubSidecar.StartAsync($"other-{Guid.NewGuid():N}", [Brokers.Component(BrokerKind.InMemory, extra: ("allowedTopics", "allowed"))]);
        Owned.Add(limited);

        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(denied, "/v1.0/publish/pubsub/allowed")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(limited, "/v1.0/publish/pubsub/allowed")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(limited, "/v1.0/publish/pubsub/other")).Status);
    }

    [Fact]
    public async Task PUT_publishes_too_and_a_topic_may_contain_slashes()
    {
        var app = await SubscriberApp.StartAsync(Ct);
        Owned.Add(app);
        var sidecar = await PubSubSidecar.StartAsync(AppId, [Brokers.Component(BrokerKind.InMemory)], app,
            declarative: [Brokers.Subscription("devices/42/telemetry")]);
        Owned.Add(sidecar);

        var (status, _) = await PostAsync(sidecar, "/v1.0/publish/pubsub/devices/42/telemetry", method: HttpMethod.Put);

        Assert.Equal(HttpStatusCode.NoContent, status);
        await Poll.UntilAsync(() => app.Received.Count == 1, Ct);
        Assert.Equal("devices/42/telemetry", (string?)app.Received.Single().Event["topic"]);
    }

    [Fact]
    public async Task Redis_entries_carry_the_envelope_in_data_and_the_publish_metadata_as_JSON_trimmed_by_maxLenApprox()
    {
        var sidecar = await SidecarAsync(Brokers.Component(BrokerKind.Redis, extra: ("maxLenApprox", "5")));

        for (var i = 0; i < 300; i++)
            Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(sidecar, $"/v1.0/publish/pubsub/{_topic}?metadata.note=x")).Status);

        await using var redis = await TestRedis.ConnectAsync();
        Assert.True(await redis.GetDatabase().StreamLengthAsync(_topic) < 300);
        var entry = (await redis.GetDatabase().StreamRangeAsync(_topic, count: 1, messageOrder: StackExchange.Redis.Order.Descending))[0].Values;
        Assert.Equal("data", (string?)entry[0].Name);
        Assert.Equal("metadata", (string?)entry[1].Name);
        Assert.Equal(_topic, (string?)JsonNode.Parse((string)entry[0].Value!)!["topic"]);
        Assert.Equal("{\"note\":\"x\"}", (string?)entry[1].Value);
    }

    [Theory]
    [InlineData("/v1.0-alpha1/publish/bulk")]
    [InlineData("/v1.0/publish/bulk")]
    public async Task Bulk_publish_wraps_every_entry_like_a_single_publish(string prefix)
    {
        var app = await SubscriberApp.StartAsync(Ct);
        Owned.Add(app);
        var sidecar = await PubSubSidecar.StartAsync(AppId, [Brokers.Component(BrokerKind.Redis)], app,
            declarative: [Brokers.Subscription(_topic)]);
        Owned.Add(sidecar);
        var body = """
            [ { "entryId": "1", "event": { "n": 1 }, "contentType": "application/json" },
              { "entryId": "2", "event": "hello", "contentType": "text/plain", "metadata": { "cloudevent.type": "greeting" } },
              { "entryId": "3", "event": { "id": "own", "source": "s", "type": "t", "specversion": "1.0" }, "contentType": "application/cloudevents+json" } ]
            """;

        var (status, _) = await PostAsync(sidecar, $"{prefix}/pubsub/{_topic}", body);

        Assert.Equal(HttpStatusCode.NoContent, status);
        await Poll.UntilAsync(() => app.Received.Count == 3, Ct);
        var events = app.Received.Select(d => d.Event).ToList();
        Assert.Equal(1, (int)events.Single(e => (string?)e["datacontenttype"] == "application/json")["data"]!["n"]!);
        Assert.Equal("hello", (string?)events.Single(e => (string?)e["type"] == "greeting")["data"]);
        Assert.Equal(_topic, (string?)events.Single(e => (string?)e["id"] == "own")["topic"]);
    }

    [Fact]
    public async Task Bulk_publish_rejects_duplicate_entry_ids_and_lists_the_entries_a_broker_failed()
    {
        var sidecar = await SidecarAsync(Brokers.Component(BrokerKind.InMemory));
        var down = await PubSubSidecar.StartAsync(AppId, [Brokers.Component(BrokerKind.Redis, extra: ("redisHost", $"127.0.0.1:{ClosedPort()}"))]);
        Owned.Add(down);

        var duplicate = await PostAsync(sidecar, $"/v1.0-alpha1/publish/bulk/pubsub/{_topic}",
            """[{"entryId":"a","event":1},{"entryId":"a","event":2}]""");
        using var response = await down.Client.PostAsync($"/v1.0-alpha1/publish/bulk/pubsub/{_topic}",
            new StringContent("""[{"entryId":"a","event":1},{"entryId":"b","event":2}]""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal((HttpStatusCode.BadRequest, "ERR_PUBSUB_EVENTS_SER"), Code(duplicate));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var failure = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal("ERR_PUBSUB_PUBLISH_MESSAGE", (string?)failure["errorCode"]);
        Assert.Equal(["a", "b"], failure["failedEntries"]!.AsArray().Select(e => (string)e!["entryId"]!));
    }

    private static (HttpStatusCode, string?) Code((HttpStatusCode Status, DaprError? Error) result) => (result.Status, result.Error?.ErrorCode);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record DaprError(string ErrorCode, string Message);
}
