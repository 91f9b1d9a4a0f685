using System.Security.Claims;
using DaprIoT.Contracts.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.Auth.Tests.Support;

/// <summary>Access tokens made by the test: right in every way but the one a negative test is about.</summary>
public static class TestTokens
{
    public static string Create(SecurityKey key, DateTimeOffset now, string issuer = AuthNames.Issuer, string audience = AuthNames.Audience,
        TimeSpan? lifetime = null, string algorithm = SecurityAlgorithms.EcdsaSha256)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + (lifetime ?? TimeSpan.FromMinutes(10))).UtcDateTime,
            Subject = new ClaimsIdentity([new Claim("sub", "user-1"), new Claim("email", "ann@example.com"), new Claim("name", "Ann")]),
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    /// <summary>A fresh P-256 key whose id is <paramref name="keyId"/>.</summary>
    public static ECDsaSecurityKey OtherKey(string keyId) =>
        new(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256)) { KeyId = keyId };

    /// <summary>Changes one character of the signature (the last segment), keeping it valid base64url.</summary>
    public static string WithTamperedSignature(string token)
    {
        var i = token.LastIndexOf('.') + 5;
        return token[..i] + (token[i] == 'A' ? 'B' : 'A') + token[(i + 1)..];
    }

    /// <summary>Replaces the payload with another one (claims changed), keeping the original signature.</summary>
    public static string WithPayloadOf(string token, string otherToken)
    {
        var parts = token.Split('.');
        parts[1] = otherToken.Split('.')[1];
        return string.Join('.', parts);
    }
}
