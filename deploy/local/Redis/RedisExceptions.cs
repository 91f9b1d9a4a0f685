namespace DaprIoT.LocalRuntime.Redis;

/// <summary>Redis answered a command with an error reply (<c>-ERR …</c>, <c>-WRONGTYPE …</c>, <c>-NOGROUP …</c>).</summary>
public sealed class RedisServerException(string message) : Exception(message)
{
    /// <summary>The error prefix Redis uses, e.g. <c>ERR</c>, <c>NOGROUP</c>, <c>BUSYGROUP</c>.</summary>
    public string Prefix => Message.Split(' ', 2)[0];
}

/// <summary>The connection to Redis failed or was closed; the command may or may not have run.</summary>
public sealed class RedisConnectionException(string message, Exception? inner = null) : Exception(message, inner);
