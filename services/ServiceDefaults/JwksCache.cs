using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.ServiceDefaults;

/// <summary>
/// The signing keys of <c>auth</c>, fetched once and kept. A token naming a key id not in the cache makes it fetch
/// again (the key was rotated), at most once per <see cref="UnknownKeyRefetchInterval"/> so that tokens with made-up
/// key ids, or an unreachable <c>auth</c>, cannot turn every request into a call to <c>auth</c>. The keys are also refetched after <see cref="MaxAge"/>,
/// so a key <c>auth</c> stopped publishing stops being accepted. Until a first fetch succeeded (auth may start after
/// this service) a failed fetch is tried again after <see cref="FirstFetchRetryInterval"/> only.
/// </summary>
internal sealed partial class JwksCache(IJwksSource source, TimeProvider time, ILogger<JwksCache> logger)
{
    public static readonly TimeSpan UnknownKeyRefetchInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);
    public static readonly TimeSpan FirstFetchRetryInterval = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _fetching = new(1, 1);
    // Replaced whole, so a request reads keys and their age from one fetch without taking the lock.
    private volatile Fetched? _fetched;
    private DateTimeOffset? _lastAttempt;

    /// <summary>The keys as last fetched; read synchronously by the token validator.</summary>
    public IReadOnlyList<SecurityKey> Keys => _fetched?.Keys ?? [];

    /// <summary>Makes sure the cache is fresh and, when <paramref name="keyId"/> is given, tries to have that key.</summary>
    public async Task EnsureAsync(string? keyId, CancellationToken cancellationToken)
    {
        if (IsCurrent(keyId)) return;
        await _fetching.WaitAsync(cancellationToken);
        try
        {
            // Another request may have fetched while this one waited.
            if (IsCurrent(keyId)) return;
            // Failed attempts count too: while auth is unreachable, not every request waits for it.
            var now = time.GetUtcNow();
            var retryInterval = _fetched is null ? FirstFetchRetryInterval : UnknownKeyRefetchInterval;
            if (_lastAttempt is { } last && now - last < retryInterval) return;
            _lastAttempt = now;
            var keys = new JsonWebKeySet(await source.GetJwksAsync(cancellationToken)).GetSigningKeys();
            _fetched = new Fetched([.. keys], now);
            KeysFetched(logger, keys.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Tokens are then checked against the keys held (none before the first fetch: every token is refused),
            // and the next request tries again.
            KeysUnavailable(logger, e);
        }
        finally
        {
            _fetching.Release();
        }
    }

    private bool IsCurrent(string? keyId) =>
        _fetched is { } fetched && time.GetUtcNow() - fetched.At < MaxAge
        && (keyId is null || fetched.Keys.Any(key => key.KeyId == keyId));

    private sealed record Fetched(IReadOnlyList<SecurityKey> Keys, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched {Count} signing key(s) of the auth service")]
    private static partial void KeysFetched(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The auth service's signing keys could not be fetched; tokens are checked against the keys held until then. Is app 'auth' running and reachable through Dapr?")]
    private static partial void KeysUnavailable(ILogger logger, Exception exception);
}
