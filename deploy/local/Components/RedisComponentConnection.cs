using System.Globalization;
using StackExchange.Redis;

namespace DaprIoT.LocalRuntime.Components;

/// <summary>
/// Where and how to reach the Redis a <c>state.redis</c> or <c>pubsub.redis</c> component names, as
/// StackExchange.Redis connection options: each state store opens a multiplexer of its own from them, pub/sub
/// brokers share one per server (<c>SharedRedisConnections</c>).
/// </summary>
public static class RedisComponentConnection
{
    /// <summary>
    /// Reads <c>redisHost</c> (<c>host:port</c>), <c>redisUsername</c>, <c>redisPassword</c> and <c>redisDB</c>, the
    /// metadata daprd's Redis components use to connect.
    /// </summary>
    /// <param name="abortOnConnectFail">
    /// True: connecting fails when Redis cannot be reached (a state store fails at open, as daprd's does).
    /// False: the multiplexer is returned anyway and keeps connecting in the background (pub/sub connects lazily).
    /// </param>
    public static ConfigurationOptions Options(ComponentSpec component, bool abortOnConnectFail)
    {
        var address = component.GetRequiredString("redisHost");
        var colon = address.LastIndexOf(':');
        var host = colon > 0 ? address[..colon] : address;
        var port = 6379;
        if (colon > 0 && !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port))
            throw component.Invalid("redisHost", $"'{address}' is not host:port");
        return new ConfigurationOptions
        {
            EndPoints = { { host, port } },
            User = component.GetString("redisUsername"),
            Password = component.GetString("redisPassword"),
            DefaultDatabase = component.GetInt("redisDB", 0),
            AbortOnConnectFail = abortOnConnectFail,
            ClientName = "dapr-local",
            // While Redis is unreachable a command fails at once, as go-redis's does in daprd, instead of waiting
            // in a backlog for the async timeout: the caller (publish, state API) answers with an error right away.
            BacklogPolicy = BacklogPolicy.FailFast,
            // Reconnect soon after a local Redis restarts; the default backs off to several seconds.
            ReconnectRetryPolicy = new LinearRetry(500),
        };
    }

    /// <summary>
    /// Connects, failing with a <see cref="RedisConnectionException"/> that names the address when Redis cannot be
    /// reached (StackExchange.Redis's own message names neither the address nor the cause).
    /// </summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(ConfigurationOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken);
        }
        catch (RedisConnectionException e)
        {
            var cause = e.InnerException?.Message ?? e.FailureType.ToString();
            throw new RedisConnectionException(e.FailureType, CommandFlags.None,
                $"Cannot connect to Redis at {Endpoints(options)} ({cause}); is redis-server running there?", e, CommandStatus.Unknown);
        }
    }

    /// <summary>
    /// The server and database as one string (<c>host:port/db</c>): what tells two components apart when they
    /// name the same stream key.
    /// </summary>
    public static string ServerKey(ConfigurationOptions options) => $"{Endpoints(options)}/{options.DefaultDatabase ?? 0}";

    private static string Endpoints(ConfigurationOptions options) => string.Join(",", options.EndPoints.Select(Format));

    private static string Format(System.Net.EndPoint endPoint) => endPoint switch
    {
        System.Net.DnsEndPoint dns => $"{dns.Host.ToLowerInvariant()}:{dns.Port}",
        System.Net.IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        _ => endPoint.ToString() ?? "",
    };
}
