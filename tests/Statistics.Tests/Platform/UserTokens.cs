using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using DaprIoT.Contracts.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.Statistics.Tests.Platform;

/// <summary>
/// Stands in for app <c>auth</c>: a P-256 key whose public half it serves as JWKS, and access tokens for any user,
/// shaped as auth issues them (issuer, audience, ES256, <c>sub</c>).
/// </summary>
public sealed class UserTokens
{
    private readonly ECDsaSecurityKey _key = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "statistics-tests" };

    public string Jwks()
    {
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(_key);
        return JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "EC", crv = "P-256", x = jwk.X, y = jwk.Y, kid = _key.KeyId, use = "sig", alg = AuthNames.SigningAlgorithm } },
        });
    }

    public string For(string userId)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthNames.Issuer,
            Audience = AuthNames.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(10),
            Subject = new ClaimsIdentity([new Claim("sub", userId)]),
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.EcdsaSha256),
        });
    }
}
