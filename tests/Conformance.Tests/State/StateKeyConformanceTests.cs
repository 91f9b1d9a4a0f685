using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.State;

/// <summary>Where the state API puts keys in Redis (keyPrefix), and what bulk get answers, through a real sidecar.</summary>
public sealed class StateKeyConformanceTests
{
    private const string AppId = "state-keys";

    [Fact]
    public async Task Each_key_prefix_strategy_stores_the_key_under_the_name_daprd_uses_and_bulk_get_answers_data_in_request_order()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = $"tenant-{Guid.NewGuid():N}";
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp(AppId)], new Dictionary<string, string>
        {
            ["by-app.yaml"] = Store("by-app", null),
            ["by-name.yaml"] = Store("by-name", "name"),
            ["unprefixed.yaml"] = Store("unprefixed", "none"),
            ["by-tenant.yaml"] = Store("by-tenant", tenant),
        }, ct);
        var key = $"lamp-{Guid.NewGuid():N}";
        var expected = new Dictionary<string, string>
        {
            ["by-app"] = $"{AppId}||{key}",
            ["by-name"] = $"by-name||{key}",
            ["unprefixed"] = key,
            ["by-tenant"] = $"{tenant}||{key}",
        };
        try
        {
            foreach (var (store, _) in expected)
            {
                using var saved = await PostAsync(dapr, $"state/{store}", $$$"""[{"key":"{{{key}}}","value":{"store":"{{{store}}}"}}]""", ct);
                Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
            }

            foreach (var (store, redisKey) in expected)
                Assert.Equal([$$"""{"store":"{{store}}"}"""], await RedisCli.RunAsync(ct, "HMGET", redisKey, "data"));

            using var bulk = await PostAsync(dapr, "state/by-name/bulk", $$"""{"keys":["missing-{{key}}","{{key}}"]}""", ct);
            Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
            var items = JsonNode.Parse(await bulk.Content.ReadAsStringAsync(ct))!.AsArray();
            Assert.Equal([$"missing-{key}", key], items.Select(i => (string?)i!["key"]));
            Assert.Null(items[0]!["data"]);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"store":"by-name"}"""), items[1]!["data"]), $"bulk get item: {items[1]}");
            Assert.False(string.IsNullOrEmpty((string?)items[1]!["etag"]), $"bulk get item has an etag: {items[1]}");
        }
        finally
        {
            await RedisCli.RunAsync(CancellationToken.None, ["DEL", .. expected.Values]);
        }
    }

    private static Task<HttpResponseMessage> PostAsync(LocalRuntimeHarness dapr, string path, string json, CancellationToken ct) =>
        dapr.Client.PostAsync($"{dapr.SidecarUrl(AppId)}/v1.0/{path}", new StringContent(json, Encoding.UTF8, "application/json"), ct);

    private static string Store(string name, string? keyPrefix) => $"""
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        spec:
          type: state.redis
          version: v1
          metadata:
            - name: redisHost
              value: "127.0.0.1:6379"

        """ + (keyPrefix is null ? "" : $"    - name: keyPrefix\n      value: \"{keyPrefix}\"\n");
}
