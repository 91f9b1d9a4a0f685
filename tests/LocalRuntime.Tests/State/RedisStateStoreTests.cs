using System.Text;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.State;
using StackExchange.Redis;

namespace DaprIoT.LocalRuntime.Tests.State;

/// <summary>The store contract plus daprd's storage layout, against the real redis-server on 127.0.0.1:6379.</summary>
public sealed class RedisStateStoreTests : StateStoreContract
{
    private ConnectionMultiplexer _connection = null!;

    private IDatabase Redis => _connection.GetDatabase();

    internal static ComponentSpec Component(string name, params (string Key, string Value)[] metadata) =>
        new(name, "state.redis", "v1",
            new Dictionary<string, string>(metadata.Select(m => KeyValuePair.Create(m.Key, m.Value)).Prepend(KeyValuePair.Create("redisHost", "127.0.0.1:6379"))),
            [], false, "components/statestore.yaml");

    protected override async Task<IStateStore> OpenAsync() =>
        await StateStoreFactory.OpenAsync(Component("statestore"), TimeProvider.System, Ct);

    protected override void Elapse(TimeSpan time)
    {
        // Redis expires keys in real time; the contract polls for it.
    }

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _connection = await TestRedis.ConnectAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await TestRedis.DeleteKeysAsync(Redis, Prefix + "*");
        await _connection.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Each_key_is_a_hash_with_data_and_version_as_daprd_stores_it()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("\"hello\"")), Ct);
        await Store.SetAsync(new StateSet(Key("a"), Json("""{"on":true}""")), Ct);

        var type = await Redis.KeyTypeAsync(Key("a"));
        var data = await Redis.HashGetAsync(Key("a"), "data");
        var version = await Redis.HashGetAsync(Key("a"), "version");

        Assert.Equal(RedisType.Hash, type);
        Assert.Equal("""{"on":true}""", (string?)data);
        Assert.Equal("2", (string?)version);
        Assert.Equal("2", (await Store.GetAsync(Key("a"), Ct))!.ETag);
    }

    [Fact]
    public async Task A_hash_written_by_daprd_reads_back_and_continues_its_version()
    {
        await Redis.HashSetAsync(Key("a"), [new("data", "\"from daprd\""), new("version", "7"), new("first-write", "0")]);

        var item = await Store.GetAsync(Key("a"), Ct);
        await Store.SetAsync(new StateSet(Key("a"), Json("1"), "7"), Ct);

        Assert.Equal("\"from daprd\"", Encoding.UTF8.GetString(item!.Value));
        Assert.Equal("7", item.ETag);
        Assert.Equal("8", (string?)await Redis.HashGetAsync(Key("a"), "version"));
    }

    [Fact]
    public async Task A_key_that_is_not_a_state_hash_is_replaced_on_write_as_daprd_does()
    {
        await Redis.StringSetAsync(Key("a"), "plain string");

        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);

        Assert.Equal("1", (await Store.GetAsync(Key("a"), Ct))!.ETag);
    }

    [Fact]
    public async Task A_non_numeric_etag_on_a_write_is_invalid_rather_than_a_mismatch()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);

        await Assert.ThrowsAsync<EtagInvalidException>(() => Store.SetAsync(new StateSet(Key("a"), Json("2"), "abc"), Ct));
        await Assert.ThrowsAsync<EtagMismatchException>(() => Store.DeleteAsync(new StateDelete(Key("a"), "abc"), Ct));

        Assert.Equal("1", Encoding.UTF8.GetString((await Store.GetAsync(Key("a"), Ct))!.Value));
    }

    [Fact]
    public async Task A_ttl_becomes_a_redis_expiry_and_a_write_without_one_keeps_it_as_in_daprd()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1"), Ttl: TimeSpan.FromSeconds(3600)), Ct);

        await Store.SetAsync(new StateSet(Key("a"), Json("2")), Ct);

        var remaining = (long)await Redis.ExecuteAsync("TTL", Key("a"));
        Assert.InRange(remaining, 3500, 3600);
        var expiresAt = (await Store.GetAsync(Key("a"), Ct))!.ExpiresAt;
        Assert.NotNull(expiresAt);
        Assert.InRange(expiresAt.Value - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(3500), TimeSpan.FromSeconds(3601));
    }

    [Fact]
    public async Task The_components_ttlInSeconds_is_the_default_and_minus_one_overrides_it()
    {
        await using var store = await StateStoreFactory.OpenAsync(Component("ttlstore", ("ttlInSeconds", "600")), TimeProvider.System, Ct);

        await store.SetAsync(new StateSet(Key("default"), Json("1")), Ct);
        await store.SetAsync(new StateSet(Key("forever"), Json("1"), Ttl: TimeSpan.FromSeconds(-1)), Ct);

        Assert.InRange((long)await Redis.ExecuteAsync("TTL", Key("default")), 590, 600);
        Assert.Equal(-1, (long)await Redis.ExecuteAsync("TTL", Key("forever")));
    }

    [Fact]
    public async Task A_failed_transaction_leaves_keys_of_other_types_and_expiries_alone()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1"), Ttl: TimeSpan.FromSeconds(3600)), Ct);

        await Assert.ThrowsAsync<EtagMismatchException>(() => Store.TransactAsync([
            new StateSet(Key("a"), Json("2"), Ttl: TimeSpan.FromSeconds(-1)),
            new StateDelete(Key("a"), "41"),
        ], Ct));

        Assert.InRange((long)await Redis.ExecuteAsync("TTL", Key("a")), 3500, 3600);
        Assert.Equal("1", (string?)await Redis.HashGetAsync(Key("a"), "version"));
    }

    [Fact]
    public async Task Writes_and_reads_keep_working_after_redis_forgets_the_scripts()
    {
        await using var server = await PrivateRedisServer.StartAsync(Ct);
        await using var store = await StateStoreFactory.OpenAsync(Component("private") with
        {
            Metadata = new Dictionary<string, string> { ["redisHost"] = server.Endpoint },
        }, TimeProvider.System, Ct);
        await using var admin = await TestRedis.ConnectAsync(server.Endpoint);
        await store.SetAsync(new StateSet("k", Json("1")), Ct);

        await admin.GetServer(server.Endpoint).ScriptFlushAsync();

        await store.SetAsync(new StateSet("k", Json("2"), "1"), Ct);
        Assert.Equal("2", (await store.GetAsync("k", Ct))!.ETag);
    }

    [Fact]
    public async Task The_store_recovers_when_redis_restarts()
    {
        await using var server = await PrivateRedisServer.StartAsync(Ct);
        await using var store = await StateStoreFactory.OpenAsync(Component("private") with
        {
            Metadata = new Dictionary<string, string> { ["redisHost"] = server.Endpoint },
        }, TimeProvider.System, Ct);
        await store.SetAsync(new StateSet("k", Json("1")), Ct);

        await server.RestartAsync(Ct);

        // The first call may still meet the dead connection; the store must work again right after it.
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await store.SetAsync(new StateSet("k", Json("2")), Ct);
                return true;
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
            {
                return false;
            }
        }, Ct);
        Assert.Equal("2", Encoding.UTF8.GetString((await store.GetAsync("k", Ct))!.Value));
    }

    [Fact]
    public async Task A_hash_without_data_and_version_is_reported_as_not_a_state_entry()
    {
        await Redis.HashSetAsync(Key("a"), "something", "else");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Store.GetAsync(Key("a"), Ct));

        Assert.Contains("'data' and 'version'", error.Message);
    }

    [Fact]
    public async Task A_component_addressing_redis_as_localhost_connects()
    {
        var component = Component("local") with { Metadata = new Dictionary<string, string> { ["redisHost"] = "localhost:6379" } };
        await using var store = await StateStoreFactory.OpenAsync(component, TimeProvider.System, Ct);

        await store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);

        Assert.NotNull(await Store.GetAsync(Key("a"), Ct));
    }

    [Theory]
    [InlineData("redisType", "cluster")]
    [InlineData("enableTLS", "true")]
    [InlineData("failover", "true")]
    public async Task Redis_settings_the_local_runtime_cannot_honour_fail_at_open_naming_the_field(string field, string value)
    {
        var error = await Assert.ThrowsAsync<ConfigurationException>(() =>
            StateStoreFactory.OpenAsync(Component("unsupported", (field, value)), TimeProvider.System, Ct));

        Assert.Contains(field, error.Message);
        Assert.Contains("components/statestore.yaml", error.Message);
    }

    [Fact]
    public async Task Opening_a_component_whose_redis_is_unreachable_says_where_it_tried()
    {
        var component = Component("down") with
        {
            Metadata = new Dictionary<string, string> { ["redisHost"] = "127.0.0.1:1" },
        };

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => StateStoreFactory.OpenAsync(component, TimeProvider.System, Ct));

        Assert.Contains("127.0.0.1:1", error.Message);
    }
}
