using System.Net;
using System.Text;
using System.Text.Json;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.State;

/// <summary>Optimistic concurrency through the state API of a sidecar backed by state.redis on the shared Redis.</summary>
public sealed class StateEtagConformanceTests
{
    private const string AppId = "state-client";

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

    [Fact]
    public async Task Stale_and_wrong_etags_are_refused_and_leave_the_stored_value_unchanged_while_current_ones_succeed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dapr = await LocalRuntimeHarness.StartAsync([new HarnessApp(AppId)], new Dictionary<string, string> { ["statestore.yaml"] = StateStore }, ct);
        var state = $"{dapr.SidecarUrl(AppId)}/v1.0/state/statestore";
        var key = $"device-{Guid.NewGuid():N}";
        var fresh = $"fresh-{Guid.NewGuid():N}";
        try
        {
            await ExpectAsync(HttpStatusCode.NoContent, await SaveAsync(dapr, state, new { key, value = new { fw = "1.0" } }, ct));
            var (first, etag1) = await GetAsync(dapr, state, key, ct);
            Assert.Equal("""{"fw":"1.0"}""", first);
            // Stored by daprd's scheme: hash <appId>||<key> with the JSON text in "data" and the ETag in "version".
            Assert.Equal(["""{"fw":"1.0"}""", etag1], await RedisCli.RunAsync(ct, "HMGET", $"{AppId}||{key}", "data", "version"));

            await ExpectAsync(HttpStatusCode.NoContent, await SaveAsync(dapr, state, new { key, value = new { fw = "1.1" }, etag = etag1 }, ct));
            var (_, etag2) = await GetAsync(dapr, state, key, ct);
            Assert.NotEqual(etag1, etag2);

            var stale = await SaveAsync(dapr, state, new { key, value = new { fw = "0.9" }, etag = etag1 }, ct);
            await ExpectAsync(HttpStatusCode.Conflict, stale, "ERR_STATE_SAVE");
            Assert.Equal(("""{"fw":"1.1"}""", etag2), await GetAsync(dapr, state, key, ct));

            var invalid = await SaveAsync(dapr, state, new { key, value = new { fw = "0.8" }, etag = "not-a-version" }, ct);
            await ExpectAsync(HttpStatusCode.BadRequest, invalid);
            Assert.Equal(("""{"fw":"1.1"}""", etag2), await GetAsync(dapr, state, key, ct));

            // first-write without an ETag only creates: a key that exists is a conflict.
            var firstWrite = new { concurrency = "first-write" };
            await ExpectAsync(HttpStatusCode.NoContent, await SaveAsync(dapr, state, new { key = fresh, value = "one", options = firstWrite }, ct));
            await ExpectAsync(HttpStatusCode.Conflict, await SaveAsync(dapr, state, new { key = fresh, value = "two", options = firstWrite }, ct), "ERR_STATE_SAVE");
            var (freshValue, freshEtag) = await GetAsync(dapr, state, fresh, ct);
            Assert.Equal("\"one\"", freshValue);
            await ExpectAsync(HttpStatusCode.NoContent, await SaveAsync(dapr, state, new { key = fresh, value = "three", etag = freshEtag, options = firstWrite }, ct));
            Assert.Equal("\"three\"", (await GetAsync(dapr, state, fresh, ct)).Value);

            using (var wrongDelete = new HttpRequestMessage(HttpMethod.Delete, $"{state}/{key}"))
            {
                wrongDelete.Headers.TryAddWithoutValidation("If-Match", etag1);
                await ExpectAsync(HttpStatusCode.Conflict, await dapr.Client.SendAsync(wrongDelete, ct), "ERR_STATE_DELETE");
            }
            Assert.Equal(("""{"fw":"1.1"}""", etag2), await GetAsync(dapr, state, key, ct));

            // A transaction with one stale ETag writes nothing at all, the valid operations included.
            var newcomer = $"{key}-new";
            var transaction = await PostJsonAsync(dapr, $"{state}/transaction", new
            {
                operations = new object[]
                {
                    new { operation = "upsert", request = new { key = newcomer, value = "created" } },
                    new { operation = "delete", request = new { key = fresh } },
                    new { operation = "upsert", request = new { key, value = new { fw = "2.0" }, etag = etag1 } },
                },
            }, ct);
            await ExpectAsync(HttpStatusCode.InternalServerError, transaction, "ERR_STATE_TRANSACTION");
            Assert.Equal(("""{"fw":"1.1"}""", etag2), await GetAsync(dapr, state, key, ct));
            Assert.Equal("\"three\"", (await GetAsync(dapr, state, fresh, ct)).Value);
            using (var missing = await dapr.Client.GetAsync($"{state}/{newcomer}", ct))
                Assert.Equal(HttpStatusCode.NoContent, missing.StatusCode);

            // The same transaction with the current ETags commits every operation.
            var (_, freshEtag2) = await GetAsync(dapr, state, fresh, ct);
            var committed = await PostJsonAsync(dapr, $"{state}/transaction", new
            {
                operations = new object[]
                {
                    new { operation = "upsert", request = new { key = newcomer, value = "created" } },
                    new { operation = "delete", request = new { key = fresh, etag = freshEtag2 } },
                    new { operation = "upsert", request = new { key, value = new { fw = "2.0" }, etag = etag2 } },
                },
            }, ct);
            await ExpectAsync(HttpStatusCode.NoContent, committed);
            Assert.Equal("\"created\"", (await GetAsync(dapr, state, newcomer, ct)).Value);
            using (var gone = await dapr.Client.GetAsync($"{state}/{fresh}", ct))
                Assert.Equal(HttpStatusCode.NoContent, gone.StatusCode);
            var (upgraded, etag3) = await GetAsync(dapr, state, key, ct);
            Assert.Equal("""{"fw":"2.0"}""", upgraded);

            using (var rightDelete = new HttpRequestMessage(HttpMethod.Delete, $"{state}/{key}"))
            {
                rightDelete.Headers.TryAddWithoutValidation("If-Match", etag3);
                await ExpectAsync(HttpStatusCode.NoContent, await dapr.Client.SendAsync(rightDelete, ct));
            }
            using var deleted = await dapr.Client.GetAsync($"{state}/{key}", ct);
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        finally
        {
            await RedisCli.RunAsync(CancellationToken.None, "DEL", $"{AppId}||{key}", $"{AppId}||{fresh}", $"{AppId}||{key}-new");
        }
    }

    private static Task<HttpResponseMessage> SaveAsync(LocalRuntimeHarness dapr, string state, object item, CancellationToken ct) =>
        PostJsonAsync(dapr, state, new[] { item }, ct);

    private static Task<HttpResponseMessage> PostJsonAsync(LocalRuntimeHarness dapr, string url, object body, CancellationToken ct) =>
        dapr.Client.PostAsync(url, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), ct);

    private static async Task<(string Value, string Etag)> GetAsync(LocalRuntimeHarness dapr, string state, string key, CancellationToken ct)
    {
        using var response = await dapr.Client.GetAsync($"{state}/{key}", ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {key} answered {(int)response.StatusCode}");
        Assert.True(response.Headers.TryGetValues("ETag", out var etags), $"GET {key} has no ETag header");
        return (await response.Content.ReadAsStringAsync(ct), etags.Single());
    }

    private static async Task ExpectAsync(HttpStatusCode expected, HttpResponseMessage response, string? errorCode = null)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == expected,
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode} instead of {(int)expected}: {body}");
            if (errorCode is not null) Assert.Equal(errorCode, JsonDocument.Parse(body).RootElement.GetProperty("errorCode").GetString());
        }
    }
}
