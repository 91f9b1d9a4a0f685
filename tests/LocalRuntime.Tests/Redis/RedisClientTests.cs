using System.Text;
using DaprIoT.LocalRuntime.Redis;

namespace DaprIoT.LocalRuntime.Tests.Redis;

/// <summary>Against the real redis-server on 127.0.0.1:6379 (started by .ci/run).</summary>
public sealed class RedisClientTests : IAsyncLifetime
{
    private static readonly RedisOptions Local = new("127.0.0.1", 6379);
    private readonly string _prefix = $"test:{Guid.NewGuid():N}:";
    private RedisClient _redis = null!;

    public async ValueTask InitializeAsync() =>
        _redis = await RedisClient.ConnectAsync(Local, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        var keys = await _redis.ExecuteAsync("KEYS", _prefix + "*");
        foreach (var key in keys.AsArray()) await _redis.ExecuteAsync("DEL", key.Bulk!);
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Binary_values_with_line_breaks_round_trip_unchanged()
    {
        var value = new byte[] { 0, 13, 10, 255, (byte)'$', (byte)'*', 13, 10 };
        await _redis.ExecuteAsync("SET", _prefix + "bin", value);

        var reply = await _redis.ExecuteAsync("GET", _prefix + "bin");

        Assert.Equal(RespType.BulkString, reply.Type);
        Assert.Equal(value, reply.Bulk);
    }

    [Fact]
    public async Task A_missing_key_reads_as_nil_and_integers_parse()
    {
        Assert.True((await _redis.ExecuteAsync("GET", _prefix + "absent")).IsNull);
        Assert.Equal(5, (await _redis.ExecuteAsync("INCRBY", _prefix + "n", 5)).AsInt64());
    }

    [Fact]
    public async Task Nested_arrays_from_streams_are_parsed()
    {
        var ct = TestContext.Current.CancellationToken;
        var stream = _prefix + "stream";
        var id = (await _redis.ExecuteAsync(["XADD", stream, "*", "data", "héllo"], ct)).AsString();

        var entries = (await _redis.ExecuteAsync(["XRANGE", stream, "-", "+"], ct)).AsArray();

        var entry = Assert.Single(entries).AsArray();
        Assert.Equal(id, entry[0].AsString());
        Assert.Equal(["data", "héllo"], entry[1].AsArray().Select(v => v.AsString()));
    }

    [Fact]
    public async Task An_error_reply_throws_with_the_servers_message()
    {
        await _redis.ExecuteAsync("SET", _prefix + "text", "x");

        var error = await Assert.ThrowsAsync<RedisServerException>(() => _redis.ExecuteAsync("INCR", _prefix + "text"));

        Assert.Equal("ERR", error.Prefix);
        Assert.Contains("not an integer", error.Message);
    }

    [Fact]
    public async Task Concurrent_callers_each_get_their_own_reply()
    {
        var key = _prefix + "counter";
        var replies = await Task.WhenAll(Enumerable.Range(0, 2000).Select(_ => _redis.ExecuteAsync("INCR", key)));

        Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i), replies.Select(r => r.AsInt64()).Order());
    }

    [Fact]
    public async Task A_batch_runs_multi_exec_without_other_commands_interleaved()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = _prefix + "tx";
        var noise = Task.WhenAll(Enumerable.Range(0, 200).Select(_ => _redis.ExecuteAsync("INCR", _prefix + "noise")));

        var replies = await _redis.ExecuteBatchAsync([["MULTI"], ["SET", key, "1"], ["INCR", key], ["EXEC"]], ct);
        await noise;

        Assert.Equal(["OK", "QUEUED", "QUEUED"], replies[..3].Select(r => r.AsString()));
        Assert.Equal(["OK", "2"], replies[3].AsArray().Select(r => r.AsString()));
    }

    [Fact]
    public async Task The_client_reconnects_after_the_server_drops_its_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = $"victim-{Guid.NewGuid():N}";
        await _redis.ExecuteAsync(["CLIENT", "SETNAME", name], ct);
        await using (var admin = await RedisClient.ConnectAsync(Local, ct))
        {
            var clients = (await admin.ExecuteAsync(["CLIENT", "LIST"], ct)).AsString()!;
            var line = clients.Split('\n').Single(l => l.Contains($"name={name}"));
            var id = line.Split(' ').Single(p => p.StartsWith("id=", StringComparison.Ordinal))[3..];
            await admin.ExecuteAsync(["CLIENT", "KILL", "ID", id], ct);
        }

        // The first call may see the dead socket; the next one must work on a fresh connection.
        await Poll.UntilAsync(async () =>
        {
            try { return (await _redis.ExecuteAsync(["PING"], ct)).AsString() == "PONG"; }
            catch (RedisConnectionException) { return false; }
        }, ct);
    }

    [Fact]
    public async Task Connecting_to_a_closed_port_says_where_it_tried()
    {
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() =>
            RedisClient.ConnectAsync(new RedisOptions("127.0.0.1", 1), TestContext.Current.CancellationToken));

        Assert.Contains("127.0.0.1:1", error.Message);
    }

    [Fact]
    public async Task Unicode_arguments_are_sent_as_utf8()
    {
        await _redis.ExecuteAsync("SET", _prefix + "utf8", "grüße ☀");

        var bytes = (await _redis.ExecuteAsync("GET", _prefix + "utf8")).Bulk!;

        Assert.Equal("grüße ☀", Encoding.UTF8.GetString(bytes));
    }
}
