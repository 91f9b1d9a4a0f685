using System.Globalization;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using DaprIoT.Conformance.Tests.Actors;
using DaprIoT.Conformance.Tests.Harness;
using DaprIoT.LocalRuntime.Hosting;
using Grpc.Core;
using Xunit;

namespace DaprIoT.Conformance.Tests.Sdk;

/// <summary>
/// The official SDK's <see cref="DaprClient"/> against the sidecar's gRPC API, which is the only way it reaches
/// state, pub/sub, output bindings and metadata. Each client is built as an app builds it from DAPR_GRPC_PORT.
/// </summary>
public sealed class DaprClientGrpcConformanceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private const string StateStore = """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: statestore
        spec:
          type: state.redis
          version: v1
          metadata:
            - name: redisHost
              value: "127.0.0.1:6379"
        """;

    public static TheoryData<PubSubBus> Buses => [PubSubBus.Redis, PubSubBus.RabbitMq];

    private sealed record Reading(double Celsius, string Unit);

    [Fact]
    public async Task State_saved_over_grpc_reads_back_and_TrySaveStateAsync_returns_false_on_a_stale_etag()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp("state-client")], new Dictionary<string, string> { ["statestore.yaml"] = StateStore }, ct);
        using var client = dapr.CreateDaprClient("state-client");
        var key = $"cooker-{Guid.NewGuid():N}";
        try
        {
            Assert.Null(await client.GetStateAsync<Reading>("statestore", key, cancellationToken: ct));
            await client.SaveStateAsync("statestore", key, new Reading(21.5, "C"), cancellationToken: ct);
            var (saved, etag) = await client.GetStateAndETagAsync<Reading>("statestore", key, cancellationToken: ct);
            Assert.Equal(new Reading(21.5, "C"), saved);
            Assert.False(string.IsNullOrEmpty(etag), "a saved value has an ETag");

            Assert.True(await client.TrySaveStateAsync("statestore", key, new Reading(60, "C"), etag, cancellationToken: ct));
            // The ETag read before that save is stale now: daprd answers ABORTED, which TrySaveStateAsync turns into false.
            Assert.False(await client.TrySaveStateAsync("statestore", key, new Reading(0, "C"), etag, cancellationToken: ct));
            Assert.Equal(new Reading(60, "C"), await client.GetStateAsync<Reading>("statestore", key, cancellationToken: ct));

            // Same store, same key through the HTTP API: gRPC and HTTP see one state.
            var overHttp = await dapr.Client.GetStringAsync($"{dapr.SidecarUrl("state-client")}/v1.0/state/statestore/{key}", ct);
            Assert.Equal("""{"celsius":60,"unit":"C"}""", overHttp);
        }
        finally
        {
            await client.DeleteStateAsync("statestore", key, cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_state_store_that_does_not_exist_fails_with_daprds_invalid_argument_error()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp("state-client")], new Dictionary<string, string> { ["statestore.yaml"] = StateStore }, ct);
        using var client = dapr.CreateDaprClient("state-client");

        var failure = await Assert.ThrowsAsync<DaprException>(() => client.GetStateAsync<Reading>("no-such-store", "k", cancellationToken: ct));

        var rpc = Assert.IsType<RpcException>(failure.InnerException);
        Assert.Equal((StatusCode.InvalidArgument, "state store no-such-store is not found"), (rpc.StatusCode, rpc.Status.Detail));
    }

    [Theory]
    [MemberData(nameof(Buses))]
    public async Task Events_published_and_bulk_published_over_grpc_reach_topic_and_bulk_subscribers(PubSubBus bus)
    {
        var ct = TestContext.Current.CancellationToken;
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var (plainTopic, bulkTopic) = ($"sdk-plain-{suffix}", $"sdk-bulk-{suffix}");
        var appPort = FreePorts.Next();
        try
        {
            await using var dapr = await LocalRuntimeHarness.StartAsync(
            [
                new HarnessApp("publisher"),
                ConformanceAppProcess.Entry("subscriber", appPort, new Dictionary<string, string> { ["SUBSCRIPTIONS"] = $"pubsub:{plainTopic};pubsub:{bulkTopic}:bulk" }),
            ], new Dictionary<string, string> { ["pubsub.yaml"] = PubSubComponentYaml.For(bus) }, ct);
            using var client = dapr.CreateDaprClient("publisher");
            var subscriber = new ConformanceAppClient(dapr.Client, appPort);

            await client.PublishEventAsync("pubsub", plainTopic, new { key = $"single-{suffix}" }, ct);
            var toPlain = await client.BulkPublishEventAsync("pubsub", plainTopic, [new { key = $"plain-0-{suffix}" }, new { key = $"plain-1-{suffix}" }], cancellationToken: ct);
            var toBulk = await client.BulkPublishEventAsync("pubsub", bulkTopic,
                [new { key = $"bulk-0-{suffix}" }, new { key = $"bulk-1-{suffix}" }, new { key = $"bulk-2-{suffix}" }], cancellationToken: ct);
            Assert.Empty(toPlain.FailedEntries);
            Assert.Empty(toBulk.FailedEntries);

            var plain = await Eventually.UntilAsync(token => subscriber.DeliveriesAsync(plainTopic, token), d => d.Count >= 3,
                "the WithTopic subscriber received the published and the bulk-published events", Keys, Patience, ct);
            var bulk = await Eventually.UntilAsync(token => subscriber.DeliveriesAsync(bulkTopic, token), d => d.Count >= 3,
                "the bulk subscriber received the bulk-published events", Keys, Patience, ct);

            Assert.Equal([$"plain-0-{suffix}", $"plain-1-{suffix}", $"single-{suffix}"], plain.Select(d => d.Key).Order());
            Assert.Equal([$"bulk-0-{suffix}", $"bulk-1-{suffix}", $"bulk-2-{suffix}"], bulk.Select(d => d.Key).Order());
            Assert.All(plain, d => Assert.Equal(("/subscriptions/0", "pubsub", "publisher", "application/json"), (d.Route, d.PubSubName, d.Source, d.DataContentType)));
            Assert.All(bulk, d => Assert.Equal(("/subscriptions/1", bulkTopic, "pubsub", "publisher"), (d.Route, d.Topic, d.PubSubName, d.Source)));
            Assert.All(bulk, d => Assert.Equal(JsonValueKind.Object, d.Data?.ValueKind));
        }
        finally
        {
            await BrokerCleanup.DeleteAsync(bus, [plainTopic, bulkTopic], [$"subscriber-{plainTopic}", $"subscriber-{bulkTopic}"]);
        }
    }

    [Fact]
    public async Task InvokeBindingAsync_publishes_through_the_mqtt_output_binding()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"conformance/{Guid.NewGuid():N}";
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp("devices")], new Dictionary<string, string>
        {
            ["mqtt-out.yaml"] = $"""
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata:
                  name: mqtt-out
                spec:
                  type: bindings.mqtt3
                  version: v1
                  metadata:
                    - name: url
                      value: "{SharedMosquitto.Url}"
                    - name: topic
                      value: "{prefix}/default"
                    - name: direction
                      value: "output"
                    - name: consumerID
                      value: "mqtt-out-{Guid.NewGuid():N}"
                """,
        }, ct);
        using var client = dapr.CreateDaprClient("devices");
        await using var device = await MosquittoSubscriber.StartAsync($"{prefix}/#", count: 1, Patience, ct);

        await client.InvokeBindingAsync("mqtt-out", "create", new { on = true, level = 70 },
            new Dictionary<string, string> { ["topic"] = $"{prefix}/lamp-1/cmd" }, ct);

        // gRPC carries data as bytes, which daprd hands to the binding as they are: the SDK's JSON, keys in declared
        // order (the HTTP API instead re-encodes its JSON "data" field with Go's encoding/json, sorting the keys).
        var message = Assert.Single(await device.MessagesAsync(ct));
        Assert.Equal(($"{prefix}/lamp-1/cmd", """{"on":true,"level":70}"""), (message.Topic, message.Payload));
    }

    [Fact]
    public async Task GetMetadataAsync_names_the_app_its_components_its_active_actors_and_the_extended_attributes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await ActorRun.StartAsync(hostReplicas: 1, ct);
        var host = run.SidecarUrls[1];
        await run.Actors.CallAsync(host, $"meta-{Guid.NewGuid():N}", "Count", null, ct);
        using var client = run.Dapr.CreateDaprClient(ActorRun.HostAppId);

        var metadata = await client.GetMetadataAsync(ct);

        Assert.Equal(ActorRun.HostAppId, metadata.Id);
        var store = Assert.Single(metadata.Components, c => c.Name == "statestore");
        Assert.Equal(("state.redis", "v1"), (store.Type, store.Version));
        var probe = Assert.Single(metadata.Actors, a => a.Type == "Probe");
        Assert.True(probe.Count >= 1, $"at least the called Probe is active, the sidecar counts {probe.Count}");
        Assert.Equal((await run.Dapr.AppPidAsync(ActorRun.HostAppId, cancellationToken: ct)).ToString(CultureInfo.InvariantCulture), metadata.Extended["appPID"]);
    }

    [Fact]
    public async Task A_sidecar_with_an_api_token_refuses_grpc_calls_without_it_as_unauthenticated()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dapr = await LocalRuntimeHarness.StartAsync(
            [new HarnessApp("guarded", Env: new Dictionary<string, string> { ["DAPR_API_TOKEN"] = "right-token" })],
            new Dictionary<string, string> { ["statestore.yaml"] = StateStore }, ct);
        using var wrong = dapr.CreateDaprClient("guarded", apiToken: "wrong-token");
        using var missing = dapr.CreateDaprClient("guarded");
        using var right = dapr.CreateDaprClient("guarded", apiToken: "right-token");

        var withWrong = await Assert.ThrowsAsync<DaprException>(() => wrong.GetStateAsync<Reading>("statestore", "k", cancellationToken: ct));
        var withoutToken = await Assert.ThrowsAsync<DaprException>(() => missing.GetStateAsync<Reading>("statestore", "k", cancellationToken: ct));

        Assert.Equal((StatusCode.Unauthenticated, "authentication error: api token mismatch"),
            (Assert.IsType<RpcException>(withWrong.InnerException).StatusCode, Assert.IsType<RpcException>(withWrong.InnerException).Status.Detail));
        Assert.Equal(StatusCode.Unauthenticated, Assert.IsType<RpcException>(withoutToken.InnerException).StatusCode);
        Assert.Null(await right.GetStateAsync<Reading>("statestore", $"absent-{Guid.NewGuid():N}", cancellationToken: ct));
    }

    private static string Keys(IReadOnlyList<ObservedDelivery> deliveries) => string.Join(", ", deliveries.Select(d => $"{d.Key}@{d.Route}"));
}
