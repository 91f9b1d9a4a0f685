using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>Bulk subscribe (§4.8): batches of CloudEvents to one endpoint, answered with a status per entry.</summary>
public sealed class BulkSubscribeTests : PubSubTest
{
    private readonly string _topic = $"topic-{Guid.NewGuid():N}";

    public BulkSubscribeTests()
    {
        Topics.Add(_topic);
        Queues.Add($"{AppId}-{_topic}");
    }

    private async Task<(SubscriberApp App, PubSubSidecar Sidecar)> StartAsync(BrokerKind kind, int maxMessages, int maxAwaitMs, bool raw = false)
    {
        var app = await SubscriberApp.StartAsync(Ct);
        Owned.Add(app);
        var answer = $$"""
            [ { "pubsubname": "pubsub", "topic": "{{_topic}}", "route": "/bulk", "metadata": { "rawPayload": "{{(raw ? "true" : "false")}}" },
                "bulkSubscribe": { "enabled": true, "maxMessagesCount": {{maxMessages}}, "maxAwaitDurationMs": {{maxAwaitMs}} } } ]
            """;
        var sidecar = await PubSubSidecar.StartAsync(AppId, [Brokers.Component(kind)], app, subscribeAnswer: answer);
        Owned.Add(sidecar);
        return (app, sidecar);
    }

    private async Task PublishAsync(PubSubSidecar sidecar, int n, string query = "")
    {
        using var content = new StringContent($"{{\"n\":{n}}}", Encoding.UTF8, "application/json");
        using var response = await sidecar.Client.PostAsync($"/v1.0/publish/pubsub/{_topic}{query}", content, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static JsonArray Entries(Delivery delivery) => delivery.Event["entries"]!.AsArray();

    private static IResult Statuses(IEnumerable<(string EntryId, string Status)> statuses) =>
        Results.Json(new { statuses = statuses.Select(s => new { entryId = s.EntryId, status = s.Status }) });

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task A_full_batch_arrives_as_one_bulk_envelope_of_CloudEvents(BrokerKind kind)
    {
        var (app, sidecar) = await StartAsync(kind, maxMessages: 5, maxAwaitMs: 5000);
        app.Handle("/bulk", d => Statuses(Entries(d).Select(e => ((string)e!["entryId"]!, "SUCCESS"))));

        for (var n = 0; n < 5; n++) await PublishAsync(sidecar, n);

        await Poll.UntilAsync(() => sidecar.Feature.Statistics.Delivered == 5, Ct);
        var delivery = Assert.Single(app.At("/bulk"));
        Assert.StartsWith("application/json", delivery.Headers["content-type"]);
        var bulk = delivery.Event;
        Assert.Equal("com.dapr.event.sent.bulk", (string?)bulk["type"]);
        Assert.Equal(_topic, (string?)bulk["topic"]);
        Assert.Equal("pubsub", (string?)bulk["pubsubname"]);
        var entries = Entries(delivery);
        Assert.Equal([0, 1, 2, 3, 4], entries.Select(e => (int)e!["event"]!["data"]!["n"]!).Order());
        Assert.All(entries, e => Assert.Equal("application/cloudevents+json", (string?)e!["contentType"]));
        Assert.Equal(5, entries.Select(e => (string?)e!["entryId"]).Distinct().Count());
    }

    [Fact]
    public async Task A_partial_batch_is_sent_after_maxAwaitDurationMs_and_raw_events_are_base64()
    {
        var (app, sidecar) = await StartAsync(BrokerKind.RabbitMq, maxMessages: 100, maxAwaitMs: 200, raw: true);
        app.Handle("/bulk", d => Statuses(Entries(d).Select(e => ((string)e!["entryId"]!, "SUCCESS"))));

        await PublishAsync(sidecar, 7, "?metadata.rawPayload=true");

        await Poll.UntilAsync(() => sidecar.Feature.Statistics.Delivered == 1, Ct);
        var entry = Entries(Assert.Single(app.At("/bulk")))[0]!;
        Assert.Equal("{\"n\":7}", Encoding.UTF8.GetString(Convert.FromBase64String((string)entry["event"]!)));
        Assert.Equal("application/octet-stream", (string?)entry["contentType"]);
    }

    [Theory]
    [MemberData(nameof(Brokers.Durable), MemberType = typeof(Brokers))]
    public async Task Each_entry_ends_by_its_own_status_and_missing_statuses_are_retried(BrokerKind kind)
    {
        var (app, sidecar) = await StartAsync(kind, maxMessages: 5, maxAwaitMs: 300);
        var seen = new ConcurrentDictionary<int, int>();
        app.Handle("/bulk", d => Statuses(Entries(d)
            .Select(e => (Id: (string)e!["entryId"]!, N: (int)e["event"]!["data"]!["n"]!))
            .Select(e => (e.Id, N: e.N, Time: seen.AddOrUpdate(e.N, 1, (_, c) => c + 1)))
            .Where(e => !(e.N == 4 && e.Time == 1)) // no status for 4 the first time: a retry
            .Select(e => (e.Id, e.N switch
            {
                2 => "DROP",
                3 when e.Time == 1 => "RETRY",
                _ => "SUCCESS",
            }))
            .ToList()));

        for (var n = 1; n <= 5; n++) await PublishAsync(sidecar, n);

        await Poll.UntilAsync(() => sidecar.Feature.Statistics.Delivered == 4, Ct);
        Assert.Equal(1, sidecar.Feature.Statistics.Dropped);
        Assert.Equal(2, sidecar.Feature.Statistics.ReturnedToBroker);
        Assert.Equal(1, seen[2]);
        Assert.Equal(2, seen[3]);
        Assert.Equal(2, seen[4]);
    }

    [Fact]
    public async Task A_404_drops_the_whole_batch()
    {
        var (app, sidecar) = await StartAsync(BrokerKind.Redis, maxMessages: 3, maxAwaitMs: 2000);
        app.Handle("/bulk", _ => Results.NotFound());

        for (var n = 0; n < 3; n++) await PublishAsync(sidecar, n);

        await Poll.UntilAsync(() => sidecar.Feature.Statistics.Dropped == 3, Ct);
        Assert.Single(app.At("/bulk"));
    }
}
