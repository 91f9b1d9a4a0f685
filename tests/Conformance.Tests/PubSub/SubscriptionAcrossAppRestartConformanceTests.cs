using System.Net;
using System.Text;
using System.Text.Json;
using DaprIoT.Conformance.Tests.Harness;
using DaprIoT.LocalRuntime.Hosting;
using Xunit;

namespace DaprIoT.Conformance.Tests.PubSub;

/// <summary>
/// A subscriber whose app crashes and is restarted loses nothing: its broker subscription outlives the app run, even
/// on RabbitMQ with <c>deletedWhenUnused: true</c> (the component's default), where closing the last consumer would
/// delete the queue and every event published until the app is back.
/// </summary>
public sealed class SubscriptionAcrossAppRestartConformanceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    public static TheoryData<PubSubBus> Buses => [PubSubBus.Redis, PubSubBus.RabbitMq];

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task Events_published_while_the_subscriber_app_is_down_arrive_once_after_it_restarts(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"restart-{Guid.NewGuid():N}";
        var subscriberPort = FreePorts.Next();
        // Component defaults otherwise: on RabbitMQ no requeueInFailure, so a failed delivery would be lost as well.
        var component = bus == PubSubBus.Redis
            ? PubSubComponentYaml.For(bus)
            : """
              apiVersion: dapr.io/v1alpha1
              kind: Component
              metadata:
                name: pubsub
              spec:
                type: pubsub.rabbitmq
                version: v1
                metadata:
                  - name: connectionString
                    value: "amqp://guest:guest@127.0.0.1:5672"
                  - name: deletedWhenUnused
                    value: "true"
              """;
        try
        {
            await using var dapr = await LocalRuntimeHarness.StartAsync(
                [
                    new HarnessApp("publisher"),
                    ConformanceAppProcess.Entry("subscriber", subscriberPort, new Dictionary<string, string> { ["SUBSCRIPTIONS"] = $"pubsub:{topic}" }),
                ],
                new Dictionary<string, string> { ["pubsub.yaml"] = component },
                ct);
            var subscriber = new ConformanceAppClient(dapr.Client, subscriberPort);
            await PublishAsync(dapr, topic, "before", ct);
            await Eventually.UntilAsync(token => subscriber.DeliveriesAsync(topic, token), d => d.Any(x => x.Key == "before"),
                "the first event reaches the subscriber", d => $"{d.Count} deliveries", Patience, ct);

            var killedPid = await dapr.KillAppAsync("subscriber", cancellationToken: ct);
            // The sidecar has noticed once it lists no subscriptions; from then on the app is down for it.
            await Eventually.UntilAsync(token => ListsSubscriptionsAsync(dapr, token), listed => !listed,
                "the subscriber's sidecar has stopped delivering", listed => $"subscriptions listed: {listed}", Patience, ct);
            string[] whileDown = ["down-1", "down-2", "down-3"];
            foreach (var key in whileDown) await PublishAsync(dapr, topic, key, ct);

            // The restarted process starts with an empty log: whatever it records arrived after the kill.
            var seen = await Eventually.UntilAsync(
                async token => (Pid: await subscriber.PidAsync(token), Seen: await DeliveriesOrNoneAsync(subscriber, topic, token)),
                s => s.Pid is { } pid && pid != killedPid && whileDown.All(key => s.Seen.Any(d => d.Key == key)),
                "the restarted subscriber got every event published while it was down",
                s => $"pid {s.Pid} (killed {killedPid}), keys {string.Join(", ", s.Seen.Select(d => d.Key))}", Patience, ct);

            Assert.All(whileDown, key => Assert.Single(seen.Seen, d => d.Key == key));
            Assert.DoesNotContain(seen.Seen, d => d.Key == "before");
            // Deliveries start as the sidecar subscribes; its metadata lists the subscription as that completes.
            await Eventually.UntilAsync(token => ListsSubscriptionsAsync(dapr, token), listed => listed,
                "the sidecar lists the subscription again", listed => $"subscriptions listed: {listed}", Patience, ct);
        }
        finally
        {
            await BrokerCleanup.DeleteAsync(bus, [topic], [$"subscriber-{topic}"]);
        }
    }

    private static async Task PublishAsync(LocalRuntimeHarness dapr, string topic, string key, CancellationToken cancellationToken)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new { key }), Encoding.UTF8, "application/json");
        using var response = await dapr.Client.PostAsync($"{dapr.SidecarUrl("publisher")}/v1.0/publish/pubsub/{topic}", content, cancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static async Task<bool> ListsSubscriptionsAsync(LocalRuntimeHarness dapr, CancellationToken cancellationToken)
    {
        using var metadata = JsonDocument.Parse(await dapr.Client.GetStringAsync($"{dapr.SidecarUrl("subscriber")}/v1.0/metadata", cancellationToken));
        return metadata.RootElement.TryGetProperty("subscriptions", out var subscriptions) && subscriptions.GetArrayLength() > 0;
    }

    private static async Task<IReadOnlyList<ObservedDelivery>> DeliveriesOrNoneAsync(ConformanceAppClient app, string topic, CancellationToken cancellationToken)
    {
        try
        {
            return await app.DeliveriesAsync(topic, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return []; // restarting
        }
    }
}
