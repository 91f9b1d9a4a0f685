using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Tests.State;

/// <summary>daprd's state HTTP API (protocol §7, gotcha 14) served by <see cref="StateApi"/> over real Redis.</summary>
public sealed class StateApiTests(StateApiHost host) : IClassFixture<StateApiHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Client => host.Client;

    private string NewKey() => $"k-{Guid.NewGuid():N}-{host.Id}";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private Task<HttpResponseMessage> SaveAsync(string store, string json, string query = "") =>
        Client.PostAsync($"/v1.0/state/{store}{query}", Json(json), Ct);

    private async Task<string?> RedisFieldAsync(string redisKey, string field) =>
        (string?)await host.Redis.HashGetAsync(redisKey, field);

    private static async Task<string> AssertDaprErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorCode)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(errorCode, body.RootElement.GetProperty("errorCode").GetString());
        return body.RootElement.GetProperty("message").GetString()!;
    }

    [Fact]
    public async Task A_saved_value_comes_back_byte_for_byte_as_json_with_an_etag_header()
    {
        var key = NewKey();
        const string value = """{"fw": "1.2.3", "n": 1.50, "big": 12345678901234567890}""";

        var saved = await SaveAsync(host.RedisStore, $$$"""[{"key":"{{{key}}}","value":{{{value}}}}]""");
        var got = await Client.GetAsync($"/v1.0/state/{host.RedisStore}/{key}", Ct);

        Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal("application/json", got.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1", got.Headers.GetValues("ETag").Single());
        Assert.Equal(value, await got.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Getting_a_missing_key_returns_204_with_an_empty_body()
    {
        var got = await Client.GetAsync($"/v1.0/state/{host.RedisStore}/{NewKey()}?consistency=strong", Ct);

        Assert.Equal(HttpStatusCode.NoContent, got.StatusCode);
        Assert.Empty(await got.Content.ReadAsByteArrayAsync(Ct));
        Assert.False(got.Headers.Contains("ETag"));
    }

    [Fact]
    public async Task A_string_value_is_stored_in_an_appid_prefixed_hash_with_its_quotes_as_daprd_stores_it()
    {
        var key = NewKey();

        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":"héllo"}]""");
        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":"héllo again"}]""");

        Assert.Equal("\"héllo again\"", await RedisFieldAsync($"{host.AppId}||{key}", "data"));
        Assert.Equal("2", await RedisFieldAsync($"{host.AppId}||{key}", "version"));
        var got = await Client.GetAsync($"/v1.0/state/{host.RedisStore}/{key}", Ct);
        Assert.Equal("\"héllo again\"", await got.Content.ReadAsStringAsync(Ct));
        Assert.Equal("2", got.Headers.ETag?.Tag ?? got.Headers.GetValues("ETag").Single());
    }

    [Fact]
    public async Task A_key_with_spaces_and_unicode_reads_back_through_its_url_encoded_path()
    {
        var key = $"dévice one ☀ {host.Id}";

        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":true}]""");
        var got = await Client.GetAsync($"/v1.0/state/{host.RedisStore}/{Uri.EscapeDataString(key)}", Ct);

        Assert.Equal("true", await got.Content.ReadAsStringAsync(Ct));
        Assert.Equal("true", await RedisFieldAsync($"{host.AppId}||{key}", "data"));
    }

    [Fact]
    public async Task An_item_without_a_value_is_stored_as_json_null()
    {
        var key = NewKey();

        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}"}]""");

        var got = await Client.GetAsync($"/v1.0/state/{host.RedisStore}/{key}", Ct);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal("null", await got.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Each_keyPrefix_strategy_names_the_redis_key_as_daprd_does()
    {
        var key = NewKey();
        var item = $$"""[{"key":"{{key}}","value":1}]""";

        await SaveAsync(host.NamePrefixedStore, item);
        await SaveAsync(host.UnprefixedStore, item);
        await SaveAsync(host.CustomPrefixedStore, item);

        Assert.Equal("1", await RedisFieldAsync($"{host.NamePrefixedStore}||{key}", "data"));
        Assert.Equal("1", await RedisFieldAsync(key, "data"));
        Assert.Equal("1", await RedisFieldAsync($"{host.CustomPrefix.ToLowerInvariant()}||{key}", "data"));
        Assert.Null(await RedisFieldAsync($"{host.AppId}||{key}", "data"));
        var got = await Client.GetAsync($"/v1.0/state/{host.CustomPrefixedStore}/{key}", Ct);
        Assert.Equal("1", await got.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_key_containing_the_separator_is_rejected_as_malformed()
    {
        var save = await SaveAsync(host.RedisStore, """[{"key":"a||b","value":1}]""");
        var get = await Client.GetAsync($"/v1.0/state/{host.RedisStore}/a||b", Ct);

        Assert.Contains("can't contain '||'", await AssertDaprErrorAsync(save, HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST"));
        await AssertDaprErrorAsync(get, HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST");
    }

    [Fact]
    public async Task Saving_with_a_stale_etag_returns_409_and_keeps_the_value()
    {
        var key = NewKey();
        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":"first"}]""");
        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":"second","etag":"1"}]""");

        var stale = await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":"third","etag":"1"}]""");

        var message = await AssertDaprErrorAsync(stale, HttpStatusCode.Conflict, "ERR_STATE_SAVE");
        Assert.Contains($"failed saving state in state store {host.RedisStore}", message);
        Assert.Equal("\"second\"", await RedisFieldAsync($"{host.AppId}||{key}", "data"));
    }

    [Fact]
    public async Task Saving_with_an_etag_redis_could_never_issue_returns_400()
    {
        var key = NewKey();
        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":1}]""");

        var invalid = await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":2,"etag":"not-a-number"}]""");

        await AssertDaprErrorAsync(invalid, HttpStatusCode.BadRequest, "ERR_STATE_SAVE");
    }

    [Fact]
    public async Task First_write_without_an_etag_cannot_overwrite_an_existing_key()
    {
        var key = NewKey();
        var item = $$$"""[{"key":"{{{key}}}","value":1,"options":{"concurrency":"first-write","consistency":"strong"}}]""";

        var created = await SaveAsync(host.RedisStore, item);
        var again = await SaveAsync(host.RedisStore, item);

        Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);
        await AssertDaprErrorAsync(again, HttpStatusCode.Conflict, "ERR_STATE_SAVE");
    }

    [Fact]
    public async Task Items_of_one_save_are_independent_so_a_conflict_does_not_stop_the_others()
    {
        var (good, bad) = (NewKey(), NewKey());

        var response = await SaveAsync(host.RedisStore, $$"""[{"key":"{{bad}}","value":1,"etag":"5"},{"key":"{{good}}","value":2}]""");

        await AssertDaprErrorAsync(response, HttpStatusCode.Conflict, "ERR_STATE_SAVE");
        Assert.Equal("2", await RedisFieldAsync($"{host.AppId}||{good}", "data"));
        Assert.Null(await RedisFieldAsync($"{host.AppId}||{bad}", "data"));
    }

    [Fact]
    public async Task Invalid_utf8_in_a_saved_string_is_stored_as_U_FFFD_as_daprds_Go_json_decoder_does()
    {
        var key = NewKey();
        // "a", an invalid start byte, "b", a truncated three-byte sequence, "c": Go replaces each bad byte.
        var body = Encoding.UTF8.GetBytes($$"""[{"key":"{{key}}","value":"a""").Concat(new byte[] { 0xFF, (byte)'b', 0xE2, 0x82, (byte)'c' })
            .Concat("\"}]"u8.ToArray()).ToArray();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        var saved = await Client.PostAsync($"/v1.0/state/{host.RedisStore}", content, Ct);
        var got = await Client.GetAsync($"/v1.0/state/{host.RedisStore}/{key}", Ct);

        Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        Assert.Equal("\"a\uFFFDb\uFFFD\uFFFDc\"", await got.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Invalid_utf8_in_a_key_saves_under_the_key_with_U_FFFD()
    {
        var key = NewKey();
        var body = Encoding.UTF8.GetBytes($$"""[{"key":"{{key}}""").Concat(new byte[] { 0xFF }).Concat("\",\"value\":1}]"u8.ToArray()).ToArray();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        var saved = await Client.PostAsync($"/v1.0/state/{host.RedisStore}", content, Ct);
        var got = await Client.GetAsync($"/v1.0/state/{host.RedisStore}/{key}%EF%BF%BD", Ct);

        Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        Assert.Equal("1", await got.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Saving_an_empty_array_returns_204()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await SaveAsync(host.RedisStore, "[]")).StatusCode);
    }

    [Theory]
    [InlineData("""[{"value":1}]""", "\"key\" is a required field")]
    [InlineData("""[{"key":"k","value":1""", "failed deserializing HTTP body")]
    [InlineData("""{"key":"k","value":1}""", "JSON array")]
    [InlineData("""[{"key":"k","etag":5}]""", "\"etag\" must be a string")]
    [InlineData("""[{"key":"k","metadata":{"ttlInSeconds":60}}]""", "metadata \"ttlInSeconds\" must be a string")]
    [InlineData("", "failed deserializing HTTP body")]
    public async Task A_malformed_save_body_returns_400_and_says_what_is_wrong(string body, string expected)
    {
        var response = await SaveAsync(host.RedisStore, body);

        Assert.Contains(expected, await AssertDaprErrorAsync(response, HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST"));
    }

    [Theory]
    [InlineData("GET", "/v1.0/state/nope/k", null)]
    [InlineData("DELETE", "/v1.0/state/nope/k", null)]
    [InlineData("POST", "/v1.0/state/nope", """[{"key":"k","value":1}]""")]
    [InlineData("PUT", "/v1.0/state/nope/bulk", """{"keys":["k"]}""")]
    [InlineData("POST", "/v1.0/state/nope/transaction", """{"operations":[]}""")]
    public async Task An_unknown_store_returns_400_ERR_STATE_STORE_NOT_FOUND_on_every_route(string method, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : Json(body) };

        var response = await Client.SendAsync(request, Ct);

        Assert.Equal("state store nope is not found",
            await AssertDaprErrorAsync(response, HttpStatusCode.BadRequest, "ERR_STATE_STORE_NOT_FOUND"));
    }

    [Fact]
    public async Task A_sidecar_without_state_stores_returns_500_ERR_STATE_STORE_NOT_CONFIGURED()
    {
        var sidecar = StateApiHost.Sidecar($"bare-{host.Id}", [], new Dictionary<string, IStateStore>());
        var (app, client) = await StateApiHost.StartAsync(sidecar, _ => { }, Ct);
        await using (app)
        using (client)
        {
            var response = await client.GetAsync("/v1.0/state/statestore/k", Ct);

            await AssertDaprErrorAsync(response, HttpStatusCode.InternalServerError, "ERR_STATE_STORE_NOT_CONFIGURED");
        }
    }

    [Fact]
    public async Task Bulk_get_returns_data_and_etag_per_key_in_request_order_and_only_the_key_for_missing_ones()
    {
        var (a, missing, b) = (NewKey(), NewKey(), NewKey());
        await SaveAsync(host.RedisStore, $$$"""[{"key":"{{{a}}}","value":{"x":1}},{"key":"{{{b}}}","value":"text"}]""");

        var response = await Client.PostAsync($"/v1.0/state/{host.RedisStore}/bulk",
            Json($$"""{"keys":["{{a}}","{{missing}}","{{b}}"],"parallelism":2}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var items = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsArray();
        Assert.Equal(3, items.Count);
        Assert.Equal(["key", "data", "etag"], items[0]!.AsObject().Select(p => p.Key));
        Assert.Equal(a, (string?)items[0]!["key"]);
        Assert.Equal("""{"x":1}""", items[0]!["data"]!.ToJsonString());
        Assert.Equal("1", (string?)items[0]!["etag"]);
        Assert.Equal(["key"], items[1]!.AsObject().Select(p => p.Key));
        Assert.Equal(missing, (string?)items[1]!["key"]);
        Assert.Equal("text", (string?)items[2]!["data"]);
    }

    [Fact]
    public async Task Bulk_get_of_no_keys_returns_an_empty_array()
    {
        var response = await Client.PutAsync($"/v1.0/state/{host.RedisStore}/bulk", Json("{}"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Deleting_honours_If_Match_with_409_on_a_stale_etag_and_204_otherwise()
    {
        var key = NewKey();
        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":1}]""");
        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":2}]""");
        var url = $"/v1.0/state/{host.RedisStore}/{key}";

        using var stale = new HttpRequestMessage(HttpMethod.Delete, url);
        stale.Headers.TryAddWithoutValidation("If-Match", "1");
        var conflict = await Client.SendAsync(stale, Ct);
        using var current = new HttpRequestMessage(HttpMethod.Delete, url + "?concurrency=first-write");
        current.Headers.TryAddWithoutValidation("If-Match", "2");
        var deleted = await Client.SendAsync(current, Ct);
        var again = await Client.DeleteAsync(url, Ct);

        Assert.Contains($"failed deleting state with key {key}", await AssertDaprErrorAsync(conflict, HttpStatusCode.Conflict, "ERR_STATE_DELETE"));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(0, (long)await host.Redis.ExecuteAsync("EXISTS", $"{host.AppId}||{key}"));
    }

    [Fact]
    public async Task A_non_numeric_If_Match_on_delete_is_an_etag_mismatch_409_not_an_invalid_etag_400()
    {
        // Unlike its Set, components-contrib's state.redis Delete never parses the ETag: its script fails on any
        // version other than the stored one, and the error is an ETagMismatch, so daprd answers 409 (main, 2026-08).
        var key = NewKey();
        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":1}]""");
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/v1.0/state/{host.RedisStore}/{key}");
        request.Headers.TryAddWithoutValidation("If-Match", "not-a-version");

        var response = await Client.SendAsync(request, Ct);

        Assert.Contains("possible etag mismatch", await AssertDaprErrorAsync(response, HttpStatusCode.Conflict, "ERR_STATE_DELETE"));
        Assert.True(await host.Redis.KeyExistsAsync($"{host.AppId}||{key}"));
    }

    [Fact]
    public async Task A_transaction_upserts_and_deletes_together_and_answers_204()
    {
        var (kept, gone) = (NewKey(), NewKey());
        await SaveAsync(host.RedisStore, $$"""[{"key":"{{gone}}","value":0}]""");

        var response = await Client.PutAsync($"/v1.0/state/{host.RedisStore}/transaction", Json($$$"""
            {"operations":[
              {"operation":"upsert","request":{"key":"{{{kept}}}","value":{"on":true},"metadata":{"ttlInSeconds":"3600"} } },
              {"operation":"delete","request":{"key":"{{{gone}}}","etag":"1"}}],
             "metadata":{"partitionKey":"planet"}}
            """), Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("""{"on":true}""", await RedisFieldAsync($"{host.AppId}||{kept}", "data"));
        Assert.InRange((long)await host.Redis.ExecuteAsync("TTL", $"{host.AppId}||{kept}"), 3500, 3600);
        Assert.Equal(0, (long)await host.Redis.ExecuteAsync("EXISTS", $"{host.AppId}||{gone}"));
    }

    [Fact]
    public async Task A_transaction_with_a_stale_etag_returns_500_and_writes_nothing()
    {
        var (fresh, existing) = (NewKey(), NewKey());
        await SaveAsync(host.RedisStore, $$"""[{"key":"{{existing}}","value":"v1"}]""");

        var response = await Client.PostAsync($"/v1.0/state/{host.RedisStore}/transaction", Json($$$"""
            {"operations":[
              {"operation":"upsert","request":{"key":"{{{fresh}}}","value":1}},
              {"operation":"delete","request":{"key":"{{{existing}}}"}},
              {"operation":"upsert","request":{"key":"{{{existing}}}","value":"v2","etag":"7"}}]}
            """), Ct);

        Assert.StartsWith("error while executing state transaction",
            await AssertDaprErrorAsync(response, HttpStatusCode.InternalServerError, "ERR_STATE_TRANSACTION"));
        Assert.Null(await RedisFieldAsync($"{host.AppId}||{fresh}", "data"));
        Assert.Equal("\"v1\"", await RedisFieldAsync($"{host.AppId}||{existing}", "data"));
    }

    [Fact]
    public async Task An_unknown_transaction_operation_returns_400_and_writes_nothing()
    {
        var key = NewKey();

        var response = await Client.PostAsync($"/v1.0/state/{host.RedisStore}/transaction", Json($$$"""
            {"operations":[{"operation":"upsert","request":{"key":"{{{key}}}","value":1}},
                           {"operation":"merge","request":{"key":"{{{key}}}","value":2}}]}
            """), Ct);

        Assert.Equal("operation type merge not supported",
            await AssertDaprErrorAsync(response, HttpStatusCode.BadRequest, "ERR_NOT_SUPPORTED_STATE_OPERATION"));
        Assert.Null(await RedisFieldAsync($"{host.AppId}||{key}", "data"));
    }

    [Fact]
    public async Task An_empty_transaction_returns_204()
    {
        var response = await Client.PostAsync($"/v1.0/state/{host.RedisStore}/transaction", Json("""{"operations":[]}"""), Ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task The_alpha_query_api_answers_that_the_store_does_not_support_querying()
    {
        var response = await Client.PostAsync($"/v1.0-alpha1/state/{host.RedisStore}/query", Json("""{"filter":{}}"""), Ct);
        var unknown = await Client.PostAsync("/v1.0-alpha1/state/nope/query", Json("""{"filter":{}}"""), Ct);

        await AssertDaprErrorAsync(response, HttpStatusCode.InternalServerError, "ERR_STATE_STORE_NOT_SUPPORTED");
        await AssertDaprErrorAsync(unknown, HttpStatusCode.BadRequest, "ERR_STATE_STORE_NOT_FOUND");
    }

    [Fact]
    public async Task A_ttl_in_query_metadata_expires_the_key_and_get_reports_ttlExpireTime()
    {
        var key = NewKey();

        await SaveAsync(host.RedisStore, $$"""[{"key":"{{key}}","value":1}]""", "?metadata.ttlInSeconds=3600");
        var got = await Client.GetAsync($"/v1.0/state/{host.RedisStore}/{key}", Ct);

        Assert.InRange((long)await host.Redis.ExecuteAsync("TTL", $"{host.AppId}||{key}"), 3500, 3600);
        var expiresAt = DateTimeOffset.Parse(got.Headers.GetValues("metadata.ttlExpireTime").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(3500), TimeSpan.FromSeconds(3601));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("99999999999999")]
    public async Task A_ttl_that_is_not_a_number_of_seconds_fails_the_save_like_daprd_and_writes_nothing(string ttl)
    {
        var key = NewKey();

        var response = await SaveAsync(host.RedisStore, $$$"""[{"key":"{{{key}}}","value":1,"metadata":{"ttlInSeconds":"{{{ttl}}}"}}]""");

        Assert.Contains("failed to parse ttl", await AssertDaprErrorAsync(response, HttpStatusCode.InternalServerError, "ERR_STATE_SAVE"));
        Assert.Null(await RedisFieldAsync($"{host.AppId}||{key}", "data"));
    }

    [Fact]
    public async Task The_in_memory_store_serves_the_same_api()
    {
        var key = NewKey();

        await SaveAsync(host.MemoryStore, $$"""[{"key":"{{key}}","value":[1,2]}]""");
        var conflict = await SaveAsync(host.MemoryStore, $$"""[{"key":"{{key}}","value":3,"etag":"9"}]""");
        var got = await Client.GetAsync($"/v1.0/state/{host.MemoryStore}/{key}", Ct);

        await AssertDaprErrorAsync(conflict, HttpStatusCode.Conflict, "ERR_STATE_SAVE");
        Assert.Equal("[1,2]", await got.Content.ReadAsStringAsync(Ct));
        Assert.Equal("1", got.Headers.GetValues("ETag").Single());
    }

    [Fact]
    public void Metadata_lists_each_state_component_with_its_capabilities_and_marks_the_actor_store()
    {
        var metadata = host.DescribeMetadata();

        var components = metadata["components"]!.AsArray().Select(c => c!.AsObject()).ToDictionary(c => (string)c["name"]!);
        Assert.Equal(5, components.Count);
        Assert.Equal("state.redis", (string?)components[host.RedisStore]["type"]);
        Assert.Equal(["ETAG", "TRANSACTIONAL", "TTL", "ACTOR"], components[host.RedisStore]["capabilities"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(["ETAG", "TRANSACTIONAL", "TTL"], components[host.MemoryStore]["capabilities"]!.AsArray().Select(c => (string?)c));
    }

    [Fact]
    public void Metadata_sets_the_capabilities_of_a_component_entry_the_sidecar_already_listed()
    {
        var listed = new JsonObject { ["name"] = host.MemoryStore, ["type"] = "state.in-memory", ["capabilities"] = new JsonArray("ETAG", "ACTOR") };
        var metadata = new JsonObject { ["components"] = new JsonArray(listed) };

        host.Feature.DescribeMetadata(metadata);

        var components = metadata["components"]!.AsArray();
        Assert.Equal(5, components.Count);
        Assert.Equal(["ETAG", "TRANSACTIONAL", "TTL"], components[0]!["capabilities"]!.AsArray().Select(c => (string?)c));
    }

    [Fact]
    public void A_custom_key_prefix_containing_the_separator_is_a_configuration_error_naming_the_file()
    {
        var component = RedisStateStoreTests.Component("bad", ("keyPrefix", "a||b"));

        var error = Assert.Throws<ConfigurationException>(() => StateKeyPrefix.For(component, "app", null));

        Assert.Contains("components/statestore.yaml", error.Message);
        Assert.Contains("keyPrefix", error.Message);
    }

    [Fact]
    public void The_namespace_strategy_prefixes_namespace_and_app_id_and_falls_back_to_the_app_id()
    {
        var component = new ComponentSpec("s", "state.redis", "v1", new Dictionary<string, string> { ["keyPrefix"] = "Namespace" }, [], false, "s.yaml");

        Assert.Equal("prod.app||k", StateKeyPrefix.For(component, "app", "prod").Apply("k", out _));
        Assert.Equal("app||k", StateKeyPrefix.For(component, "app", null).Apply("k", out _));
    }
}
