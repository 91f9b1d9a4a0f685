using System.Text.Json;
using Dapr;
using Dapr.Client;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.LocalRuntime.Tests.Sidecar;

/// <summary>
/// The sidecar's gRPC API as the official Dapr .NET SDK uses it: <see cref="DaprClient"/> state, publish and metadata
/// calls reach the building blocks over HTTP/2 cleartext, with daprd's status codes and messages.
/// </summary>
public sealed class GrpcApiTests
{
    private static readonly Dictionary<string, string> Resources = new()
    {
        ["statestore.yaml"] = """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: statestore }
            spec:
              type: state.redis
              version: v1
              metadata:
                - { name: redisHost, value: "127.0.0.1:6379" }
            """,
        ["pubsub.yaml"] = """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: pubsub }
            spec:
              type: pubsub.in-memory
              version: v1
              metadata: []
            """,
    };

    private static string RunFile(string appId, int appPort, string env = "") => $$"""
        version: 1
        common: { resourcesPaths: [./resources] }
        apps:
          - appID: {{appId}}
            appDirPath: ./apps/app
            appPort: {{appPort}}
        {{env}}
        """;

    private static DaprClient Client(InProcessRuntime runtime, string appId, string? token = null) =>
        new DaprClientBuilder()
            .UseGrpcEndpoint($"http://127.0.0.1:{runtime.Sidecar(appId).Settings.GrpcPort}")
            .UseHttpEndpoint(runtime.Url(appId))
            .UseDaprApiToken(token)
            .Build();

    [Fact]
    public async Task State_round_trips_through_the_sdk_and_an_etag_mismatch_makes_try_save_return_false()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sidecar = await OneApp.StartAsync(ct);
        using var dapr = sidecar.Client();

        await dapr.SaveStateAsync("statestore", "order", new Order("o-1", 3), cancellationToken: ct);
        var (order, etag) = await dapr.GetStateAndETagAsync<Order>("statestore", "order", cancellationToken: ct);
        var missing = await dapr.GetStateAsync<Order?>("statestore", $"missing-{Guid.NewGuid():N}", cancellationToken: ct);
        var savedWithCurrentEtag = await dapr.TrySaveStateAsync("statestore", "order", order with { Quantity = 4 }, etag, cancellationToken: ct);
        var savedWithStaleEtag = await dapr.TrySaveStateAsync("statestore", "order", order with { Quantity = 5 }, etag, cancellationToken: ct);
        var bulk = await dapr.GetBulkStateAsync("statestore", ["order"], parallelism: null, cancellationToken: ct);
        // Written over gRPC, read over HTTP: one store behind both doors.
        var overHttp = await sidecar.Runtime.Client.GetStringAsync($"{sidecar.Runtime.Url(sidecar.AppId)}/v1.0/state/statestore/order", ct);
        await dapr.DeleteStateAsync("statestore", "order", cancellationToken: ct);
        var deleted = await dapr.GetStateAsync<Order?>("statestore", "order", cancellationToken: ct);

        Assert.Equal(new Order("o-1", 3), order);
        Assert.NotEmpty(etag);
        Assert.Null(missing);
        Assert.True(savedWithCurrentEtag);
        Assert.False(savedWithStaleEtag);
        Assert.Equal(4, JsonSerializer.Deserialize<Order>(Assert.Single(bulk).Value, JsonSerializerOptions.Web)!.Quantity);
        Assert.Equal(4, JsonSerializer.Deserialize<Order>(overHttp, JsonSerializerOptions.Web)!.Quantity);
        Assert.Null(deleted);
    }

    [Fact]
    public async Task A_transaction_applies_every_operation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sidecar = await OneApp.StartAsync(ct);
        using var dapr = sidecar.Client();
        await dapr.SaveStateAsync("statestore", "old", "x", cancellationToken: ct);

        await dapr.ExecuteStateTransactionAsync("statestore",
        [
            new StateTransactionRequest("new", JsonSerializer.SerializeToUtf8Bytes("y"), StateOperationType.Upsert),
            new StateTransactionRequest("old", null, StateOperationType.Delete),
        ], cancellationToken: ct);

        Assert.Equal("y", await dapr.GetStateAsync<string>("statestore", "new", cancellationToken: ct));
        Assert.Null(await dapr.GetStateAsync<string?>("statestore", "old", cancellationToken: ct));
    }

    [Fact]
    public async Task Errors_carry_daprds_status_codes_and_messages()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sidecar = await OneApp.StartAsync(ct);
        using var dapr = sidecar.Client();

        var unknownStore = await Assert.ThrowsAsync<DaprException>(() => dapr.GetStateAsync<string>("nostore", "k", cancellationToken: ct));
        var unknownPubsub = await Assert.ThrowsAsync<DaprException>(() => dapr.PublishEventAsync("nopubsub", "t", "x", ct));
        await dapr.SaveStateAsync("statestore", "k", "v", cancellationToken: ct);
        var (_, etag) = await dapr.GetStateAndETagAsync<string>("statestore", "k", cancellationToken: ct);
        await dapr.SaveStateAsync("statestore", "k", "w", cancellationToken: ct);
        var deletedWithStaleEtag = await dapr.TryDeleteStateAsync("statestore", "k", etag, cancellationToken: ct);

        Assert.Equal(StatusCode.InvalidArgument, Rpc(unknownStore).StatusCode);
        Assert.Equal("state store nostore is not found", Rpc(unknownStore).Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, Rpc(unknownPubsub).StatusCode);
        Assert.Equal("pubsub nopubsub not found", Rpc(unknownPubsub).Status.Detail);
        Assert.False(deletedWithStaleEtag);
    }

    [Fact]
    public async Task A_wrong_api_token_is_unauthenticated_and_the_right_one_passes()
    {
        var ct = TestContext.Current.CancellationToken;
        var appId = $"grpc-{Guid.NewGuid():N}";
        await using var app = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync(
            RunFile(appId, app.Port, "    env: { DAPR_API_TOKEN: secret-token }"), Resources, cancellationToken: ct);
        using var anonymous = Client(runtime, appId);
        using var wrong = Client(runtime, appId, "other-token");
        using var right = Client(runtime, appId, "secret-token");
        // The SDK's own start-up wait: /v1.0/healthz/outbound needs no token.
        await right.WaitForSidecarAsync(ct);

        var missing = await Assert.ThrowsAsync<DaprException>(() => anonymous.GetMetadataAsync(ct));
        var mismatch = await Assert.ThrowsAsync<DaprException>(() => wrong.GetMetadataAsync(ct));
        var metadata = await right.GetMetadataAsync(ct);

        Assert.Equal(StatusCode.Unauthenticated, Rpc(missing).StatusCode);
        Assert.Equal("missing api token in request metadata", Rpc(missing).Status.Detail);
        Assert.Equal(StatusCode.Unauthenticated, Rpc(mismatch).StatusCode);
        Assert.Equal("authentication error: api token mismatch", Rpc(mismatch).Status.Detail);
        Assert.Equal(appId, metadata.Id);
        Assert.Contains(metadata.Components, c => c.Name == "statestore" && c.Type == "state.redis");
    }

    [Fact]
    public async Task Published_events_reach_the_subscriber_as_cloud_events_singly_and_in_bulk()
    {
        var ct = TestContext.Current.CancellationToken;
        var appId = $"grpc-{Guid.NewGuid():N}";
        await using var app = await RecordingApp.StartAsync(cancellationToken: ct);
        app.Handler = async http =>
        {
            if (http.Request.Path != "/dapr/subscribe") return false;
            await http.Response.WriteAsync("""[{"pubsubName":"pubsub","topic":"orders","route":"orders"}]""", ct);
            return true;
        };
        await using var runtime = await InProcessRuntime.StartAsync(RunFile(appId, app.Port), Resources, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);
        using var dapr = Client(runtime, appId);

        await dapr.PublishEventAsync("pubsub", "orders", new Order("single", 1), ct);
        var bulk = await dapr.BulkPublishEventAsync("pubsub", "orders", [new Order("bulk-a", 2), new Order("bulk-b", 3)], cancellationToken: ct);

        Assert.Empty(bulk.FailedEntries);
        await Poll.UntilAsync(() => app.To("/orders").Count() >= 3, () => string.Join(", ", app.Requests.Select(r => $"{r.Method} {r.PathAndQuery} {r.Body}")));
        var deliveries = app.To("/orders").ToList();
        var events = deliveries.Select(d => JsonDocument.Parse(d.Body).RootElement).ToList();
        Assert.All(events, e => Assert.Equal(appId, e.GetProperty("source").GetString()));
        Assert.Equal(["bulk-a", "bulk-b", "single"], events.Select(e => e.GetProperty("data").GetProperty("id").GetString()).Order());
        Assert.All(deliveries, d => Assert.StartsWith("application/cloudevents+json", d.Headers["content-type"]));
    }

    [Fact]
    public async Task A_method_dapr_local_does_not_serve_answers_unimplemented_naming_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sidecar = await OneApp.StartAsync(ct);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{sidecar.Runtime.Sidecar(sidecar.AppId).Settings.GrpcPort}");
        var client = new global::Dapr.Client.Autogen.Grpc.v1.Dapr.DaprClient(channel);

        var metadata = await client.GetMetadataAsync(new global::Dapr.Client.Autogen.Grpc.v1.GetMetadataRequest(), cancellationToken: ct);
        var unimplemented = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.TryLockAlpha1Async(new global::Dapr.Client.Autogen.Grpc.v1.TryLockRequest { StoreName = "lock" }, cancellationToken: ct));

        Assert.Equal(sidecar.AppId, metadata.Id);
        Assert.Equal(StatusCode.Unimplemented, unimplemented.StatusCode);
        Assert.Contains("TryLockAlpha1", unimplemented.Status.Detail);
    }

    [Fact]
    public async Task Invoke_service_calls_the_http_app_and_maps_its_status_as_daprd_does()
    {
        var ct = TestContext.Current.CancellationToken;
        var (caller, callee) = ($"caller-{Guid.NewGuid():N}", $"callee-{Guid.NewGuid():N}");
        await using var callerApp = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var calleeApp = await RecordingApp.StartAsync(cancellationToken: ct);
        calleeApp.Handler = async http =>
        {
            if (http.Request.Path == "/missing")
            {
                http.Response.StatusCode = 404;
                return true;
            }
            if (http.Request.Path != "/orders") return false;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("""{"accepted":true}""", ct);
            return true;
        };
        await using var runtime = await InProcessRuntime.StartAsync($$"""
            version: 1
            common: { resourcesPaths: [./resources] }
            apps:
              - appID: {{caller}}
                appDirPath: ./apps/caller
                appPort: {{callerApp.Port}}
              - appID: {{callee}}
                appDirPath: ./apps/callee
                appPort: {{calleeApp.Port}}
            """, Resources, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{runtime.Sidecar(caller).Settings.GrpcPort}");
        var client = new global::Dapr.Client.Autogen.Grpc.v1.Dapr.DaprClient(channel);
        global::Dapr.Client.Autogen.Grpc.v1.InvokeServiceRequest Request(string method) => new()
        {
            Id = callee,
            Message = new global::Dapr.Client.Autogen.Grpc.v1.InvokeRequest
            {
                Method = method,
                ContentType = "application/json",
                Data = new Google.Protobuf.WellKnownTypes.Any { Value = Google.Protobuf.ByteString.CopyFromUtf8("""{"qty":2}""") },
                HttpExtension = new global::Dapr.Client.Autogen.Grpc.v1.HTTPExtension
                {
                    Verb = global::Dapr.Client.Autogen.Grpc.v1.HTTPExtension.Types.Verb.Put,
                    Querystring = "priority=high",
                },
            },
        };

        using var call = client.InvokeServiceAsync(Request("orders"), cancellationToken: ct);
        var response = await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.InvokeServiceAsync(Request("missing"), cancellationToken: ct));

        var received = Assert.Single(calleeApp.To("/orders"));
        Assert.Equal("PUT", received.Method);
        Assert.Equal("/orders?priority=high", received.PathAndQuery);
        Assert.Equal("""{"qty":2}""", received.Body);
        Assert.Equal(caller, received.Headers["dapr-caller-app-id"]);
        Assert.Equal("""{"accepted":true}""", response.Data.Value.ToStringUtf8());
        Assert.StartsWith("application/json", response.ContentType);
        Assert.Equal("200", headers.GetValue("dapr-http-status"));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>One app (a <see cref="RecordingApp"/>) and its sidecar, healthy, with the store and pub/sub above.</summary>
    private sealed class OneApp(RecordingApp app, InProcessRuntime runtime, string appId) : IAsyncDisposable
    {
        public InProcessRuntime Runtime => runtime;

        public string AppId => appId;

        public static async Task<OneApp> StartAsync(CancellationToken ct)
        {
            var appId = $"grpc-{Guid.NewGuid():N}";
            var app = await RecordingApp.StartAsync(cancellationToken: ct);
            var runtime = await InProcessRuntime.StartAsync(RunFile(appId, app.Port), Resources, cancellationToken: ct);
            await runtime.WaitHealthyAsync(ct);
            return new OneApp(app, runtime, appId);
        }

        public DaprClient Client() => GrpcApiTests.Client(runtime, appId);

        public async ValueTask DisposeAsync()
        {
            await runtime.DisposeAsync();
            await app.DisposeAsync();
        }
    }

    private static RpcException Rpc(DaprException e) => Assert.IsType<RpcException>(e.InnerException);

    private sealed record Order(string Id, int Quantity);
}
