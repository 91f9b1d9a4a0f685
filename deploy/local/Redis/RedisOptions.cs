using System.Globalization;
using DaprIoT.LocalRuntime.Components;

namespace DaprIoT.LocalRuntime.Redis;

/// <summary>Where and how to reach Redis. Built from the component metadata Dapr's Redis components use.</summary>
public sealed record RedisOptions(string Host, int Port, string? Username = null, string? Password = null, int Database = 0)
{
    /// <summary>Reads <c>redisHost</c> (<c>host:port</c>), <c>redisUsername</c>, <c>redisPassword</c> and <c>redisDB</c>.</summary>
    public static RedisOptions FromComponent(ComponentSpec component)
    {
        var address = component.GetRequiredString("redisHost");
        var colon = address.LastIndexOf(':');
        var host = colon > 0 ? address[..colon] : address;
        var port = 6379;
        if (colon > 0 && !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port))
            throw component.Invalid("redisHost", $"'{address}' is not host:port");
        return new RedisOptions(host, port, component.GetString("redisUsername"), component.GetString("redisPassword"),
            component.GetInt("redisDB", 0));
    }

    public override string ToString() => $"{Host}:{Port}/{Database}";
}
