namespace DaprIoT.Contracts.Auth;

/// <summary>
/// What the <c>auth</c> service puts into its access tokens and what every other service checks them against.
/// </summary>
public static class AuthNames
{
    /// <summary>The <c>iss</c> claim of every access token.</summary>
    public const string Issuer = "dapriot";

    /// <summary>The <c>aud</c> claim: the platform's APIs as one audience.</summary>
    public const string Audience = "dapriot-api";

    /// <summary>The only signing algorithm issued and accepted (ECDSA P-256 with SHA-256).</summary>
    public const string SigningAlgorithm = "ES256";

    /// <summary>The public signing keys, as a method of app <see cref="AppIds.Auth"/> (Dapr service invocation).</summary>
    public const string JwksMethod = ".well-known/jwks.json";

    /// <summary>The discovery document (issuer, jwks_uri), as a method of app <see cref="AppIds.Auth"/>.</summary>
    public const string DiscoveryMethod = ".well-known/openid-configuration";
}
