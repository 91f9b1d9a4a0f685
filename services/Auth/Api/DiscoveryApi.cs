using System.Text.Json.Serialization;
using DaprIoT.Auth.Tokens;
using DaprIoT.Contracts.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DaprIoT.Auth.Api;

/// <summary>
/// The public keys that check access tokens (JWKS) and the discovery document naming the issuer and where the keys are.
/// Other services fetch the JWKS through Dapr service invocation (<see cref="AuthNames.JwksMethod"/>).
/// </summary>
internal static class DiscoveryApi
{
    public static IEndpointRouteBuilder MapDiscoveryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/" + AuthNames.JwksMethod, Jwks);
        app.MapGet("/" + AuthNames.DiscoveryMethod, Discovery);
        return app;
    }

    private static Ok<JwksDocument> Jwks(SigningKeyHolder keys) => TypedResults.Ok(new JwksDocument([keys.Current.PublicJwk]));

    private static Ok<DiscoveryDocument> Discovery(HttpRequest request) =>
        TypedResults.Ok(new DiscoveryDocument(AuthNames.Issuer, $"{request.Scheme}://{request.Host}/{AuthNames.JwksMethod}",
            [AuthNames.SigningAlgorithm]));
}

/// <summary>The fields of an OpenID Connect discovery document a token validator reads.</summary>
public sealed record DiscoveryDocument(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("jwks_uri")] string JwksUri,
    [property: JsonPropertyName("id_token_signing_alg_values_supported")] IReadOnlyList<string> SigningAlgorithms);
