using DaprIoT.Auth.Users;
using DaprIoT.Contracts.Auth;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.Auth.Tokens;

/// <summary>Signs access tokens: <c>sub</c> = user id, <c>email</c>, <c>name</c>, issuer, audience and a short lifetime.</summary>
public sealed class AccessTokenIssuer(SigningKeyHolder keys, IOptions<AuthOptions> options, TimeProvider time)
{
    // Times come from the TimeProvider, never from the handler's own clock.
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public (string Token, TimeSpan Lifetime) Issue(UserRecord user)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var lifetime = options.Value.AccessTokenLifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthNames.Issuer,
            Audience = AuthNames.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(keys.Current.SecurityKey, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = user.Id,
                [JwtRegisteredClaimNames.Email] = user.Email,
                [JwtRegisteredClaimNames.Name] = user.DisplayName,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            },
        });
        return (token, lifetime);
    }
}
