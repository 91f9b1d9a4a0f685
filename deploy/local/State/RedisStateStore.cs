using System.Globalization;
using System.Text.RegularExpressions;
using DaprIoT.LocalRuntime.Components;
using StackExchange.Redis;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// <c>state.redis</c>, stored the way daprd's Redis state store stores it so either can read the other's data:
/// each key is a hash with <c>data</c> (the value's bytes) and <c>version</c> (an integer, the ETag, incremented
/// on every write). Writes run as one Lua script, so ETag checks and the writes of a transaction are atomic.
/// StackExchange.Redis sends the scripts by SHA-1 (<c>EVALSHA</c>) and resends them whole when Redis has
/// forgotten them (<c>NOSCRIPT</c>, e.g. after a restart or <c>SCRIPT FLUSH</c>).
/// </summary>
public sealed partial class RedisStateStore : IStateStore
{
    // KEYS[i] is the key of operation i; ARGV holds five values per operation: kind (set|del), ETag ("" = none),
    // first-write (1|0), data, TTL in ms ("" = keep the current expiry, <= 0 = remove it). Every check runs
    // before any write, against the state earlier operations of the same call leave behind, so a failed check
    // changes nothing. A key that is not a Dapr hash is replaced, as daprd's script does.
    private const string WriteScript = """
        local function integer(v) return v and string.match(v, "^%-?%d+$") ~= nil end
        local seen = {}
        local function version(key)
          if seen[key] ~= nil then return seen[key] end
          local v = false
          if redis.call("TYPE", key)["ok"] == "hash" then
            v = redis.call("HGET", key, "version")
            if not integer(v) then v = false end
          end
          seen[key] = v
          return v
        end
        for i = 1, #KEYS do
          local a = (i - 1) * 5
          local current = version(KEYS[i])
          local etag = ARGV[a + 2]
          if etag ~= "" then
            if current ~= etag then return redis.error_reply("ETAGMISMATCH " .. i) end
          elseif ARGV[a + 1] == "set" and ARGV[a + 3] == "1" and current then
            return redis.error_reply("ETAGMISMATCH " .. i)
          end
          if ARGV[a + 1] == "set" then seen[KEYS[i]] = tostring((tonumber(current) or 0) + 1) else seen[KEYS[i]] = false end
        end
        for i = 1, #KEYS do
          local a = (i - 1) * 5
          local key = KEYS[i]
          if ARGV[a + 1] == "set" then
            local kind = redis.call("TYPE", key)["ok"]
            if kind ~= "none" and (kind ~= "hash" or not integer(redis.call("HGET", key, "version") or "0")) then
              redis.call("DEL", key)
            end
            redis.call("HSET", key, "data", ARGV[a + 4])
            redis.call("HINCRBY", key, "version", 1)
            local ttl = ARGV[a + 5]
            if ttl ~= "" then
              if tonumber(ttl) > 0 then redis.call("PEXPIRE", key, ttl) else redis.call("PERSIST", key) end
            end
          else
            redis.call("DEL", key)
          end
        end
        return #KEYS
        """;

    // Data, version and remaining lifetime in one atomic read.
    private const string ReadScript = """
        local kind = redis.call("TYPE", KEYS[1])["ok"]
        if kind == "none" then return false end
        if kind ~= "hash" then return redis.error_reply("WRONGTYPE key " .. KEYS[1] .. " holds a " .. kind .. ", not a Dapr state hash") end
        return { redis.call("HGET", KEYS[1], "data"), redis.call("HGET", KEYS[1], "version"), redis.call("PTTL", KEYS[1]) }
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly TimeSpan? _defaultTtl;
    private readonly TimeProvider _clock;

    /// <param name="redis">The connection; the store owns it and closes it when disposed.</param>
    /// <param name="defaultTtl">The component's <c>ttlInSeconds</c>: applied to writes that do not say otherwise.</param>
    public RedisStateStore(string name, IConnectionMultiplexer redis, TimeSpan? defaultTtl, TimeProvider clock)
    {
        Name = name;
        _redis = redis;
        _database = redis.GetDatabase();
        _defaultTtl = defaultTtl;
        _clock = clock;
    }

    public string Name { get; }

    /// <summary>Connects as the component says (<c>redisHost</c>, <c>redisPassword</c>, <c>redisDB</c>, <c>ttlInSeconds</c>).</summary>
    public static async Task<RedisStateStore> OpenAsync(ComponentSpec component, TimeProvider clock, CancellationToken cancellationToken)
    {
        // Settings the local runtime cannot honour fail here rather than misbehave later.
        if (component.GetString("redisType") is { } type && !type.Equals("node", StringComparison.OrdinalIgnoreCase))
            throw component.Invalid("redisType", $"'{type}' is not supported by the local runtime, which talks to a single Redis node; use 'node'");
        if (component.GetBool("enableTLS", false))
            throw component.Invalid("enableTLS", "TLS is not supported by the local runtime; point redisHost at a plain-text Redis");
        if (component.GetBool("failover", false))
            throw component.Invalid("failover", "Sentinel failover is not supported by the local runtime; point redisHost at the Redis node");
        var options = RedisComponentConnection.Options(component, abortOnConnectFail: true);
        TimeSpan? defaultTtl = component.GetString("ttlInSeconds") is null
            ? null
            : TimeSpan.FromSeconds(component.GetInt("ttlInSeconds", 0));
        // Fails here when Redis cannot be reached, as daprd fails the component's init; once connected, the
        // multiplexer reconnects by itself after Redis restarts.
        var redis = await RedisComponentConnection.ConnectAsync(options, cancellationToken);
        return new RedisStateStore(component.Name, redis, defaultTtl, clock);
    }

    public async Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var reply = await _database.ScriptEvaluateAsync(ReadScript, [key]).WaitAsync(cancellationToken);
        if (reply.IsNull) return null;
        var fields = (RedisResult[])reply!;
        if (fields[0].IsNull || fields[1].IsNull)
            throw new InvalidOperationException($"Redis key '{key}' is a hash without the 'data' and 'version' fields of a Dapr state entry");
        var remainingMs = (long)fields[2];
        return new StateItem((byte[])fields[0]!, (string)fields[1]!,
            remainingMs >= 0 ? _clock.GetUtcNow().AddMilliseconds(remainingMs) : null);
    }

    public Task SetAsync(StateSet operation, CancellationToken cancellationToken) =>
        TransactAsync([operation], cancellationToken);

    public Task DeleteAsync(StateDelete operation, CancellationToken cancellationToken) =>
        TransactAsync([operation], cancellationToken);

    public async Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        if (operations.Count == 0) return;
        var keys = new RedisKey[operations.Count];
        var arguments = new RedisValue[operations.Count * 5];
        for (var i = 0; i < operations.Count; i++)
        {
            var operation = operations[i];
            var etag = string.IsNullOrEmpty(operation.ETag) ? "" : operation.ETag;
            keys[i] = operation.Key;
            arguments[i * 5 + 1] = etag;
            arguments[i * 5 + 2] = operation.Concurrency == StateConcurrency.FirstWrite ? "1" : "0";
            switch (operation)
            {
                case StateSet set:
                    // daprd rejects a non-numeric ETag on a write as invalid (400) rather than as a mismatch.
                    if (etag.Length > 0 && !IntegerEtag().IsMatch(etag)) throw new EtagInvalidException(set.Key, etag);
                    arguments[i * 5] = "set";
                    arguments[i * 5 + 3] = set.Value;
                    arguments[i * 5 + 4] = TtlArgument(set.Ttl ?? _defaultTtl);
                    break;
                case StateDelete:
                    arguments[i * 5] = "del";
                    arguments[i * 5 + 3] = "";
                    arguments[i * 5 + 4] = "";
                    break;
                default:
                    throw new ArgumentException($"Unknown state operation {operation.GetType().Name}", nameof(operations));
            }
        }

        try
        {
            await _database.ScriptEvaluateAsync(WriteScript, keys, arguments).WaitAsync(cancellationToken);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("ETAGMISMATCH ", StringComparison.Ordinal))
        {
            var failed = operations[int.Parse(e.Message.Split(' ')[1], CultureInfo.InvariantCulture) - 1];
            throw new EtagMismatchException(failed.Key, failed.ETag);
        }
    }

    private static string TtlArgument(TimeSpan? ttl) => ttl switch
    {
        null => "",
        { } t when t <= TimeSpan.Zero => "-1",
        { } t => Math.Ceiling(t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
    };

    [GeneratedRegex("^-?[0-9]+$")]
    private static partial Regex IntegerEtag();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
