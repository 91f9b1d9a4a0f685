using System.Security.Cryptography;
using DaprIoT.Contracts.Auth;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.Auth.Tokens;

/// <summary>
/// The EC P-256 key that signs access tokens, and its public half as published in the JWKS. The key id is the key's
/// RFC 7638 thumbprint, so the same key always has the same id and a new key a new one.
/// </summary>
public sealed class SigningKey
{
    private SigningKey(ECDsa privateKey)
    {
        var publicParameters = privateKey.ExportParameters(includePrivateParameters: false);
        using var publicKey = ECDsa.Create(publicParameters);
        var publicJwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(publicKey));
        KeyId = Base64UrlEncoder.Encode(publicJwk.ComputeJwkThumbprint());
        SecurityKey = new ECDsaSecurityKey(privateKey) { KeyId = KeyId };
        PublicJwk = new Jwk("EC", "P-256", Base64UrlEncoder.Encode(publicParameters.Q.X), Base64UrlEncoder.Encode(publicParameters.Q.Y),
            KeyId, "sig", AuthNames.SigningAlgorithm);
    }

    public string KeyId { get; }

    public ECDsaSecurityKey SecurityKey { get; }

    public Jwk PublicJwk { get; }

    /// <summary>Reads a PEM private key (PKCS#8 <c>PRIVATE KEY</c> or SEC1 <c>EC PRIVATE KEY</c>, as openssl writes them).</summary>
    /// <exception cref="ArgumentException">The PEM holds no key, or not one on the P-256 curve.</exception>
    public static SigningKey FromPem(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new ArgumentException("The signing key is not a PEM private key. Generate one with deploy/local/auth-signing-key.sh.", e);
        }

        if (key.ExportParameters(false).Curve.Oid.FriendlyName is not ("nistP256" or "ECDSA_P256"))
        {
            key.Dispose();
            throw new ArgumentException("The signing key must be on curve P-256 (prime256v1), as ES256 requires.");
        }

        return new SigningKey(key);
    }
}

/// <summary>A public key as a JSON Web Key (RFC 7517), the fields a validator needs.</summary>
public sealed record Jwk(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);
