using System.Security.Cryptography;
using System.Text;
using DaprIoT.LocalRuntime.Redis;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// A Lua script run with <c>EVALSHA</c>, falling back to <c>EVAL</c> (which also caches it) when Redis answers
/// <c>NOSCRIPT</c>, e.g. after a restart or <c>SCRIPT FLUSH</c>.
/// </summary>
internal sealed class RedisScript(string source)
{
    public string Source { get; } = source;

    // SHA-1 is what Redis names scripts by; nothing here relies on it being collision-resistant.
    public string Sha1 { get; } = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(source)));

    public async Task<RespValue> EvaluateAsync(RedisClient redis, IReadOnlyList<string> keys, IReadOnlyList<object> arguments,
        CancellationToken cancellationToken)
    {
        try
        {
            return await redis.ExecuteAsync(Command("EVALSHA", Sha1), cancellationToken);
        }
        catch (RedisServerException e) when (e.Prefix == "NOSCRIPT")
        {
            return await redis.ExecuteAsync(Command("EVAL", Source), cancellationToken);
        }

        List<object> Command(string verb, string script)
        {
            var command = new List<object>(3 + keys.Count + arguments.Count) { verb, script, keys.Count };
            command.AddRange(keys);
            command.AddRange(arguments);
            return command;
        }
    }
}
