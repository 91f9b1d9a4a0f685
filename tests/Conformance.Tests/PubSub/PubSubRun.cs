using DaprIoT.LocalRuntime.Hosting;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DaprIoT.Conformance.Tests.Harness;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace DaprIoT.Conformance.Tests.PubSub;

/// <summary>
/// One dapr-local run on one bus, shared by the pub/sub cases of that bus (each case has its own topics, see
/// <see cref="PubSubTopics"/>):
/// <list type="bullet">
/// <item><c>publisher</c>: a sidecar without an app, used to publish.</item>
/// <item><c>inspector</c>: an app hosted in the test process that records the raw delivery requests.</item>
/// <item><c>subscriber</c>: ConformanceApp on the outcomes and orders topics, the orders dead-letter topic, the bulk
/// topic, the routed topic (with a routing rule) and a raw-payload topic.</item>
/// <item><c>victim</c>: ConformanceApp on the slow topic, killed by its test.</item>
/// <item><c>workers</c> twice (replicas workers-0 and workers-1): ConformanceApp on the compete topic of <c>pubsub</c>
/// and the broadcast topic of <c>broadcast</c> (same bus, <c>consumerID: "{podName}"</c>).</item>
/// </list>
/// The <c>pubsub</c> component has an inbound resiliency policy of 2 retries 100 ms apart, so the sidecar makes
/// <see cref="AttemptsPerDelivery"/> attempts before the failure goes to the dead-letter topic or back to the broker.
/// </summary>
public sealed class PubSubRun : IAsyncDisposable
{
    public const int AttemptsPerDelivery = 3;

    private const string Resiliency = """
        apiVersion: dapr.io/v1alpha1
        kind: Resiliency
        metadata:
          name: conformance-resiliency
        spec:
          policies:
            retries:
              quick:
                policy: constant
                duration: 100ms
                maxRetries: 2
          targets:
            components:
              pubsub:
                inbound:
                  retry: quick
        """;

    private readonly HostedApp _inspector;

    private PubSubRun(PubSubBus bus, PubSubTopics topics, HostedApp inspector, LocalRuntimeHarness dapr,
        ConformanceAppClient subscriber, ConformanceAppClient victim, IReadOnlyList<ConformanceAppClient> workers)
    {
        Bus = bus;
        Topics = topics;
        _inspector = inspector;
        Dapr = dapr;
        Subscriber = subscriber;
        Victim = victim;
        Workers = workers;
    }

    public PubSubBus Bus { get; }
    public PubSubTopics Topics { get; }
    public LocalRuntimeHarness Dapr { get; }
    public ConformanceAppClient Subscriber { get; }
    public ConformanceAppClient Victim { get; }
    public IReadOnlyList<ConformanceAppClient> Workers { get; }

    /// <summary>The raw requests the inspector app received on one delivery route (/envelope, /variants, /nested or /raw).</summary>
    public IReadOnlyList<HostedApp.Request> InspectorDeliveries(string route) => _inspector.To(route).ToList();

    public static async Task<PubSubRun> StartAsync(PubSubBus bus, CancellationToken cancellationToken)
    {
        var topics = new PubSubTopics(Guid.NewGuid().ToString("N")[..10]);
        var inspector = await HostedApp.StartAsync(cancellationToken);
        try
        {
            inspector.Handler = async context =>
            {
                if (context.Request.Path != "/dapr/subscribe") return false;
                await context.Response.WriteAsJsonAsync(new object[]
                {
                    new { pubsubname = "pubsub", topic = topics.Envelope, route = "/envelope" },
                    new { pubsubname = "pubsub", topic = topics.Variants, route = "/variants" },
                    new { pubsubname = "pubsub", topic = topics.Nested, route = "/nested" },
                    new { pubsubname = "pubsub", topic = topics.Raw, route = "/raw", metadata = new { rawPayload = "true" } },
                }, cancellationToken);
                return true;
            };
            var subscriberPort = FreePorts.Next();
            var victimPort = FreePorts.Next();
            var workerPorts = new[] { FreePorts.Next(), FreePorts.Next() };
            var dapr = await LocalRuntimeHarness.StartAsync(
                [
                    new HarnessApp("publisher"),
                    new HarnessApp("inspector", inspector.Port),
                    ConformanceAppProcess.Entry("subscriber", subscriberPort, new Dictionary<string, string>
                    {
                        ["SUBSCRIPTIONS"] = $"pubsub:{topics.Outcomes};pubsub:{topics.Orders}:{topics.OrdersDead};pubsub:{topics.OrdersDead};pubsub:{topics.Bulk}:bulk;"
                            + $"pubsub:{topics.Routed};pubsub:{topics.RawToApp}::raw",
                        ["SUBSCRIPTION_RULES"] = $$"""[{"pubsubname":"pubsub","topic":"{{topics.Routed}}","match":"event.type == \"alarm\"","path":"/alarms"}]""",
                    }),
                    ConformanceAppProcess.Entry("victim", victimPort, new Dictionary<string, string> { ["SUBSCRIPTIONS"] = $"pubsub:{topics.Slow}" }),
                    .. workerPorts.Select((port, replica) => ConformanceAppProcess.Entry("workers", port, new Dictionary<string, string>
                    {
                        ["SUBSCRIPTIONS"] = $"pubsub:{topics.Compete};broadcast:{topics.Broadcast}",
                        ["INSTANCE_ID"] = $"workers-{replica}",
                    })),
                ],
                new Dictionary<string, string>
                {
                    ["pubsub.yaml"] = PubSubComponentYaml.For(bus),
                    ["broadcast.yaml"] = PubSubComponentYaml.For(bus, "broadcast", consumerId: "{podName}"),
                    ["resiliency.yaml"] = Resiliency,
                },
                cancellationToken);
            return new PubSubRun(bus, topics, inspector, dapr, new ConformanceAppClient(dapr.Client, subscriberPort),
                new ConformanceAppClient(dapr.Client, victimPort), [.. workerPorts.Select(port => new ConformanceAppClient(dapr.Client, port))]);
        }
        catch
        {
            await inspector.DisposeAsync();
            throw;
        }
    }

    /// <summary>Publishes <paramref name="data"/> as application/json through the publisher's sidecar and expects 204.</summary>
    public Task PublishAsync(string topic, object data, CancellationToken cancellationToken, string pubsub = "pubsub", string? traceparent = null) =>
        // Exactly application/json (no charset): the content type daprd embeds as structured JSON data.
        PublishBytesAsync($"{pubsub}/{topic}", JsonSerializer.SerializeToUtf8Bytes(data), "application/json", cancellationToken, traceparent);

    /// <summary>Publishes a body as it is to <c>/v1.0/publish/{pubsubAndTopic}</c> (query string allowed) and expects 204.</summary>
    public async Task PublishBytesAsync(string pubsubAndTopic, byte[] body, string contentType, CancellationToken cancellationToken, string? traceparent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Dapr.SidecarUrl("publisher")}/v1.0/publish/{pubsubAndTopic}")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } },
        };
        if (traceparent is not null) request.Headers.Add("traceparent", traceparent);
        using var response = await Dapr.Client.SendAsync(request, cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent,
            $"publish to {pubsubAndTopic} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    public async ValueTask DisposeAsync()
    {
        await Dapr.DisposeAsync();
        await _inspector.DisposeAsync();
        await BrokerCleanup.DeleteAsync(Bus, Topics.All,
        [
            $"inspector-{Topics.Envelope}", $"inspector-{Topics.Variants}", $"inspector-{Topics.Nested}", $"inspector-{Topics.Raw}", $"subscriber-{Topics.Outcomes}", $"subscriber-{Topics.Orders}", $"subscriber-{Topics.OrdersDead}", $"subscriber-{Topics.Bulk}", $"subscriber-{Topics.Routed}", $"subscriber-{Topics.RawToApp}",
            $"victim-{Topics.Slow}", $"workers-{Topics.Compete}", $"workers-0-{Topics.Broadcast}", $"workers-1-{Topics.Broadcast}",
        ]);
    }
}
