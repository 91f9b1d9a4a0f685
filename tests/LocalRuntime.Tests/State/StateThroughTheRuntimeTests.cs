using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Tests.Hosting;

namespace DaprIoT.LocalRuntime.Tests.State;

/// <summary>The state block as the runtime composes it: component YAML → opened stores → each sidecar's API.</summary>
public sealed class StateThroughTheRuntimeTests
{
    [Fact]
    public async Task Replicas_share_a_redis_store_but_each_sidecar_has_its_own_in_memory_store()
    {
        var ct = TestContext.Current.CancellationToken;
        var appId = $"orders-{Guid.NewGuid():N}";
        await using var redis = await TestRedis.ConnectAsync();
        try
        {
            await using var runtime = await InProcessRuntime.StartAsync($$"""
                version: 1
                common: { resourcesPaths: [./resources] }
                apps:
                  - appID: {{appId}}
                    appDirPath: ./apps/orders
                  - appID: {{appId}}
                    appDirPath: ./apps/orders
                """, new Dictionary<string, string>
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
                            - { name: actorStateStore, value: "true" }
                        """,
                    ["memstore.yaml"] = """
                        apiVersion: dapr.io/v1alpha1
                        kind: Component
                        metadata: { name: memstore }
                        spec:
                          type: state.in-memory
                          version: v1
                          metadata: []
                        """,
                }, cancellationToken: ct);
            await runtime.WaitHealthyAsync(ct);
            var (first, second) = (runtime.Url(appId, 0), runtime.Url(appId, 1));
            var item = new StringContent("""[{"key":"order-1","value":{"qty":2}}]""", Encoding.UTF8, "application/json");
            var memoryItem = new StringContent("""[{"key":"order-1","value":{"qty":2}}]""", Encoding.UTF8, "application/json");

            using var saved = await runtime.Client.PostAsync($"{first}/v1.0/state/statestore", item, ct);
            using var savedInMemory = await runtime.Client.PostAsync($"{first}/v1.0/state/memstore", memoryItem, ct);
            using var fromOtherReplica = await runtime.Client.GetAsync($"{second}/v1.0/state/statestore/order-1", ct);
            using var inMemoryElsewhere = await runtime.Client.GetAsync($"{second}/v1.0/state/memstore/order-1", ct);
            using var inMemoryHere = await runtime.Client.GetAsync($"{first}/v1.0/state/memstore/order-1", ct);
            var metadata = JsonNode.Parse(await runtime.Client.GetStringAsync($"{first}/v1.0/metadata", ct))!;

            Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, savedInMemory.StatusCode);
            Assert.Equal("""{"qty":2}""", await fromOtherReplica.Content.ReadAsStringAsync(ct));
            Assert.Equal("1", fromOtherReplica.Headers.GetValues("ETag").Single());
            Assert.Equal(HttpStatusCode.NoContent, inMemoryElsewhere.StatusCode);
            Assert.Equal(HttpStatusCode.OK, inMemoryHere.StatusCode);
            Assert.Equal("""{"qty":2}""", (string?)await redis.GetDatabase().HashGetAsync($"{appId}||order-1", "data"));
            var capabilities = metadata["components"]!.AsArray()
                .ToDictionary(c => (string)c!["name"]!, c => c!["capabilities"]!.AsArray().Select(x => (string)x!).ToArray());
            Assert.Contains("ACTOR", capabilities["statestore"]);
            Assert.DoesNotContain("ACTOR", capabilities["memstore"]);
            Assert.Contains("TRANSACTIONAL", capabilities["memstore"]);
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync($"{appId}||order-1");
        }
    }
}
