using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapr.Client;
using DaprIoT.Contracts;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.Auth.Tokens;

/// <summary>
/// Refresh tokens, kept in the state store by their SHA-256 (a copy of the store does not hand out sessions). Every
/// login starts a <em>family</em>; each refresh uses the presented token up and issues the next one of the family.
/// A used token presented again means it was copied — by the thief or by the user it was stolen from — so the whole
/// family is revoked (reuse detection) and both have to log in again. Logout revokes the family too.
/// Keys: <c>refresh-{sha256}</c> → <see cref="RefreshTokenRecord"/>, <c>refresh-family-{id}</c> → <see cref="TokenFamilyRecord"/>.
/// </summary>
public sealed class RefreshTokenStore(DaprClient dapr, IOptions<AuthOptions> options, TimeProvider time)
{
    /// <summary>Starts a family for a new login and returns its first token.</summary>
    public async Task<string> IssueForLoginAsync(string userId, CancellationToken cancellationToken)
    {
        var familyId = Guid.NewGuid().ToString("N");
        var expiresAt = time.GetUtcNow() + options.Value.RefreshTokenLifetime;
        await SaveAsync(FamilyKey(familyId), new TokenFamilyRecord(userId, expiresAt, Revoked: false), expiresAt, cancellationToken);
        return await IssueAsync(userId, familyId, expiresAt, cancellationToken);
    }

    /// <summary>Uses a token up and returns the next one of its family, or says why not.</summary>
    public async Task<RotationResult> RotateAsync(string token, CancellationToken cancellationToken)
    {
        var (record, etag) = await dapr.GetStateAndETagAsync<RefreshTokenRecord?>(ComponentNames.StateStore, TokenKey(token),
            cancellationToken: cancellationToken);
        if (record is null) return RotationResult.Refused();
        var family = await dapr.GetStateAsync<TokenFamilyRecord?>(ComponentNames.StateStore, FamilyKey(record.FamilyId),
            cancellationToken: cancellationToken);
        if (family is null || family.Revoked || record.Revoked || time.GetUtcNow() >= record.ExpiresAt) return RotationResult.Refused();
        if (record.Used)
        {
            await RevokeFamilyAsync(record.FamilyId, family, cancellationToken);
            return RotationResult.Refused();
        }

        // The ETag makes two refreshes with one token race fairly: exactly one uses it up, the other is a reuse.
        if (!await dapr.TrySaveStateAsync(ComponentNames.StateStore, TokenKey(token), record with { Used = true }, etag,
                metadata: TtlUntil(record.ExpiresAt), cancellationToken: cancellationToken))
        {
            await RevokeFamilyAsync(record.FamilyId, family, cancellationToken);
            return RotationResult.Refused();
        }

        return RotationResult.Rotated(record.UserId, await IssueAsync(record.UserId, record.FamilyId, record.ExpiresAt, cancellationToken));
    }

    /// <summary>Ends the login the token belongs to. Unknown tokens are ignored: logging out twice is not an error.</summary>
    public async Task RevokeAsync(string token, CancellationToken cancellationToken)
    {
        var record = await dapr.GetStateAsync<RefreshTokenRecord?>(ComponentNames.StateStore, TokenKey(token), cancellationToken: cancellationToken);
        if (record is null) return;
        await SaveAsync(TokenKey(token), record with { Revoked = true }, record.ExpiresAt, cancellationToken);
        var family = await dapr.GetStateAsync<TokenFamilyRecord?>(ComponentNames.StateStore, FamilyKey(record.FamilyId),
            cancellationToken: cancellationToken);
        if (family is not null) await RevokeFamilyAsync(record.FamilyId, family, cancellationToken);
    }

    private async Task<string> IssueAsync(string userId, string familyId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        await SaveAsync(TokenKey(token), new RefreshTokenRecord(userId, familyId, expiresAt, Used: false, Revoked: false), expiresAt,
            cancellationToken);
        return token;
    }

    private Task RevokeFamilyAsync(string familyId, TokenFamilyRecord family, CancellationToken cancellationToken) =>
        family.Revoked ? Task.CompletedTask : SaveAsync(FamilyKey(familyId), family with { Revoked = true }, family.ExpiresAt, cancellationToken);

    private Task SaveAsync<T>(string key, T value, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        dapr.SaveStateAsync(ComponentNames.StateStore, key, value, metadata: TtlUntil(expiresAt), cancellationToken: cancellationToken);

    /// <summary>The store drops a record once its login has expired; nothing needs cleaning up by hand.</summary>
    private Dictionary<string, string> TtlUntil(DateTimeOffset expiresAt)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling((expiresAt - time.GetUtcNow()).TotalSeconds));
        return new Dictionary<string, string> { ["ttlInSeconds"] = seconds.ToString(CultureInfo.InvariantCulture) };
    }

    private static string TokenKey(string token) =>
        "refresh-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string FamilyKey(string familyId) => "refresh-family-" + familyId;
}

/// <summary>One refresh token, stored under its hash. <see cref="Used"/>: rotated already; <see cref="Revoked"/>: logged out.</summary>
public sealed record RefreshTokenRecord(string UserId, string FamilyId, DateTimeOffset ExpiresAt, bool Used, bool Revoked);

/// <summary>All refresh tokens of one login.</summary>
public sealed record TokenFamilyRecord(string UserId, DateTimeOffset ExpiresAt, bool Revoked);

/// <summary>The outcome of a refresh: the next token and its user, or refused (unknown, expired, revoked or reused).</summary>
public sealed record RotationResult(string? UserId, string? NextToken)
{
    public static RotationResult Refused() => new(null, null);

    public static RotationResult Rotated(string userId, string nextToken) => new(userId, nextToken);
}
