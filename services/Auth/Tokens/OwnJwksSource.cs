using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.ServiceDefaults;

namespace DaprIoT.Auth.Tokens;

/// <summary>The auth service checks tokens (GET /api/auth/me) against its own key rather than calling itself through Dapr.</summary>
internal sealed class OwnJwksSource(SigningKeyHolder keys) : IJwksSource
{
    public Task<string> GetJwksAsync(CancellationToken cancellationToken) =>
        Task.FromResult(JsonSerializer.Serialize(new JwksDocument([keys.Current.PublicJwk]), ContractJson.Options));
}

/// <summary>A JSON Web Key Set (RFC 7517 §5).</summary>
public sealed record JwksDocument(IReadOnlyList<Jwk> Keys);
