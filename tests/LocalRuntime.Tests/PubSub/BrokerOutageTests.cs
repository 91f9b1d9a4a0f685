using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Tests.State;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>A Redis of the test's own that is down when the sidecar starts and restarts (empty) while it runs.</summary>
public sealed class BrokerOutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_subscription_waits_for_a_Redis_that_starts_late_and_survives_its_restart()
    {
        await using var redis = await PrivateRedisServer.StartAsync(Ct);
        await redis.DisposeAsync(); // down while the sidecar starts
        var topic = $"topic-{Guid.NewGuid():N}";
        await using var app = await SubscriberApp.StartAsync(Ct);
        await using var sidecar = await PubSubSidecar.StartAsync($"app-{Guid.NewGuid():N}",
            [Brokers.Component(BrokerKind.Redis, extra: ("redisHost", $"127.0.0.1:{redis.Port}"))], app,
            declarative: [Brokers.Subscription(topic)]);
        Assert.Empty(sidecar.Feature.Subscriptions);

        await redis.RestartAsync(Ct);
        await Poll.UntilAsync(() => sidecar.Feature.Subscriptions.Count == 1, Ct);
        await PublishUntilAcceptedAsync(sidecar, topic, 1);
        await Poll.UntilAsync(() => app.Received.Count == 1, Ct);

        await redis.RestartAsync(Ct); // empty again: stream and consumer group are gone
        await PublishUntilAcceptedAsync(sidecar, topic, 2);

        await Poll.UntilAsync(() => app.Received.Any(d => (int)d.Event["data"]!["n"]! == 2), Ct);
    }

    private static async Task PublishUntilAcceptedAsync(PubSubSidecar sidecar, string topic, int n) =>
        await Poll.UntilAsync(async () =>
        {
            using var content = new StringContent($"{{\"n\":{n}}}", Encoding.UTF8, "application/json");
            using var response = await sidecar.Client.PostAsync($"/v1.0/publish/pubsub/{topic}", content, Ct);
            return response.StatusCode == HttpStatusCode.NoContent;
        }, Ct);
}
