using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using DaprIoT.Contracts.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>Only auth's valid access tokens open the API and the hub: none, expired, for another audience or tampered is a 401.</summary>
[Collection(PlatformCollection.Name)]
public sealed class AuthenticationTests(DeviceManagementPlatform platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Routes => new()
    {
        { "GET", "/api/devices" },
        { "POST", "/api/devices" },
        { "GET", "/api/devices/bulb-anything" },
        { "PATCH", "/api/devices/bulb-anything" },
        { "DELETE", "/api/devices/bulb-anything" },
        { "POST", "/api/devices/bulb-anything/desired" },
        { "POST", "/api/devices/cooker-anything/program" },
        { "DELETE", "/api/devices/cooker-anything/program" },
        { "GET", "/api/devices/bulb-anything/events" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_request_without_a_valid_token_is_401(string method, string path)
    {
        var (userId, token) = await platform.SharedUserAsync("carol");
        var session = new UserSession(platform.Replica(0), userId, token);

        foreach (var (what, refused) in RefusedTokens(userId, token))
        {
            var response = await session.SendAsync(new HttpMethod(method), path, method == "GET" ? null : "{}", refused, anonymous: refused is null);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task The_hub_refuses_a_connection_without_a_valid_token_and_takes_a_valid_one()
    {
        var (userId, token) = await platform.SharedUserAsync("carol");

        foreach (var (what, refused) in RefusedTokens(userId, token))
        {
            await using var connection = HubClient.Build(platform.ReplicaUrl(1), refused);
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync(Ct));
            Assert.True(error.StatusCode == HttpStatusCode.Unauthorized, $"{what}: {error.StatusCode}");
        }

        await using var accepted = await HubClient.ConnectAsync(platform.ReplicaUrl(1), token);
        Assert.Empty(Assert.Single(accepted.Messages).Snapshot!.Devices);
    }

    /// <summary>A token that is wrong in exactly one way each (null: none at all).</summary>
    private IEnumerable<(string What, string? Token)> RefusedTokens(string userId, string validToken)
    {
        var key = new ECDsaSecurityKey(LoadKey(platform.SigningKeyPem));
        var now = DateTimeOffset.UtcNow;
        yield return ("no token", null);
        yield return ("expired 10 minutes ago", Token(key, userId, now - TimeSpan.FromMinutes(20), AuthNames.Audience));
        yield return ("another audience", Token(key, userId, now, "some-other-api"));
        yield return ("tampered signature", Tampered(validToken));
        yield return ("signed by another key", Token(new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)), userId, now, AuthNames.Audience));
    }

    private static ECDsa LoadKey(string pem)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pem);
        return ecdsa;
    }

    private static string Token(SecurityKey key, string userId, DateTimeOffset issuedAt, string audience) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthNames.Issuer,
            Audience = audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = (issuedAt + TimeSpan.FromMinutes(10)).UtcDateTime,
            Subject = new ClaimsIdentity([new Claim("sub", userId)]),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });

    /// <summary>One character of the signature changed, still valid base64url.</summary>
    private static string Tampered(string token)
    {
        var i = token.LastIndexOf('.') + 5;
        return token[..i] + (token[i] == 'A' ? 'B' : 'A') + token[(i + 1)..];
    }
}
