using System.Net;
using System.Net.Http.Json;
using System.Text;
using DaprIoT.Auth.Api;
using DaprIoT.Auth.Tests.Support;
using Microsoft.IdentityModel.JsonWebTokens;

namespace DaprIoT.Auth.Tests.Platform;

/// <summary>The auth service under dapr-local with real Redis, and another service checking its tokens through Dapr.</summary>
public sealed class AuthPlatformTests(AuthPlatform platform) : IClassFixture<AuthPlatform>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_session_from_sign_up_to_logout_works_through_the_sidecars()
    {
        var auth = platform.Auth;
        var email = AuthCalls.NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await auth.SignUpAsync(email)).StatusCode);
        var first = await AuthCalls.TokensOf(await auth.LoginAsync(email));
        var userId = new JsonWebToken(first.AccessToken).Subject;

        // auth checks its own token; another service checks it against the JWKS it fetched through Dapr invocation.
        var me = await auth.GetWithTokenAsync("api/auth/me", first.AccessToken);
        Assert.Equal(email, (await me.Content.ReadFromJsonAsync<MeResponse>(Ct))!.Email);
        var devices = await platform.Devices.GetWithTokenAsync("/api/devices", first.AccessToken);
        Assert.Equal(HttpStatusCode.OK, devices.StatusCode);
        Assert.Equal($"devices of {userId}", await devices.Content.ReadAsStringAsync(Ct));

        var second = await AuthCalls.TokensOf(await auth.RefreshAsync(first.RefreshToken));
        Assert.Equal(HttpStatusCode.OK, (await platform.Devices.GetWithTokenAsync("/api/devices", second.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.RefreshAsync(first.RefreshToken)).StatusCode);
        // That was a reuse of a rotated token: the login's newest refresh token is revoked with it.
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.RefreshAsync(second.RefreshToken)).StatusCode);

        var again = await AuthCalls.TokensOf(await auth.LoginAsync(email));
        Assert.Equal(HttpStatusCode.NoContent, (await auth.LogoutAsync(again.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auth.RefreshAsync(again.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task Another_service_refuses_requests_without_a_valid_token()
    {
        var key = Tokens.SigningKey.FromPem(platform.SigningKeyPem).SecurityKey;
        var now = DateTimeOffset.UtcNow;
        var (_, session) = await platform.Auth.NewSessionAsync();
        string?[] refused =
        [
            null,
            TestTokens.Create(key, now - TimeSpan.FromMinutes(20)),             // expired 10 minutes ago
            TestTokens.Create(key, now, audience: "some-other-api"),
            TestTokens.WithTamperedSignature(session.AccessToken),
        ];

        foreach (var token in refused)
            Assert.Equal(HttpStatusCode.Unauthorized, (await platform.Devices.GetWithTokenAsync("/api/devices", token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await platform.Devices.GetWithTokenAsync("/api/devices", TestTokens.Create(key, now))).StatusCode);
    }

    [Fact]
    public async Task Of_concurrent_sign_ups_with_one_email_exactly_one_succeeds_on_redis()
    {
        var email = AuthCalls.NewEmail();

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => platform.Auth.SignUpAsync(email)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
    }

    [Fact]
    public async Task Too_many_logins_to_one_account_are_429_with_retry_after_through_the_sidecar()
    {
        var (email, _) = await platform.Auth.NewSessionAsync();
        for (var attempt = 2; attempt <= 5; attempt++) await platform.Auth.LoginAsync(email, "wrong password here");

        var limited = await platform.Auth.LoginAsync(email);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("3600", limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal(429, (await AuthCalls.ProblemOf(limited)).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_malformed_body_through_the_sidecar_is_400_naming_the_field()
    {
        var response = await platform.Auth.PostAsync("api/auth/signup",
            new StringContent("""{"email":"ann@example.com","password":"short","displayName":"Ann"}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await AuthCalls.ProblemOf(response)).GetProperty("errors");
        Assert.Contains("10", errors.GetProperty("password")[0].GetString(), StringComparison.Ordinal);
    }
}
