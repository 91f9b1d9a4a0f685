using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DaprIoT.Auth.Api;
using DaprIoT.Auth.Tests.Support;
using DaprIoT.Contracts.Auth;
using Microsoft.IdentityModel.JsonWebTokens;

namespace DaprIoT.Auth.Tests;

/// <summary>The auth API in-process (state and the signing key through a real sidecar), as a browser uses it.</summary>
public sealed class AuthApiTests(AuthHost host) : IClassFixture<AuthHost>
{
    private readonly HttpClient _client = host.CreateClient();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Logging_in_returns_an_ES256_access_token_for_ten_minutes_naming_the_user()
    {
        var email = AuthCalls.NewEmail();
        var signUp = await _client.SignUpAsync("  " + email.ToUpperInvariant() + " ", displayName: "Ann Example");
        Assert.Equal(HttpStatusCode.Created, signUp.StatusCode);
        var userId = (await signUp.Content.ReadFromJsonAsync<SignUpResponse>(Ct))!.UserId;

        var tokens = await AuthCalls.TokensOf(await _client.LoginAsync(email));

        Assert.Equal("Bearer", tokens.TokenType);
        Assert.Equal(600, tokens.ExpiresIn);
        Assert.False(string.IsNullOrEmpty(tokens.RefreshToken));
        var jwt = new JsonWebToken(tokens.AccessToken);
        Assert.Equal(AuthNames.SigningAlgorithm, jwt.Alg);
        Assert.Equal(host.Sidecar.SigningKey.KeyId, jwt.Kid);
        Assert.Equal(AuthNames.Issuer, jwt.Issuer);
        Assert.Equal([AuthNames.Audience], jwt.Audiences);
        Assert.Equal(TimeSpan.FromMinutes(10), jwt.ValidTo - jwt.IssuedAt);
        Assert.Equal(userId, jwt.Subject);
        Assert.Equal(email, jwt.GetClaim("email").Value);
        Assert.Equal("Ann Example", jwt.GetClaim("name").Value);
    }

    [Fact]
    public async Task Me_with_the_access_token_returns_the_signed_in_user()
    {
        var (email, tokens) = await _client.NewSessionAsync();

        var me = await _client.GetWithTokenAsync("api/auth/me", tokens.AccessToken);

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var user = (await me.Content.ReadFromJsonAsync<MeResponse>(Ct))!;
        Assert.Equal((email, "Ann Example"), (user.Email, user.DisplayName));
        Assert.Equal(new JsonWebToken(tokens.AccessToken).Subject, user.UserId);
    }

    [Fact]
    public async Task Me_without_a_token_is_401_with_problem_details()
    {
        var me = await _client.GetWithTokenAsync("api/auth/me", null);

        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.Equal(401, (await AuthCalls.ProblemOf(me)).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Tokens_with_the_wrong_audience_issuer_algorithm_or_key_are_refused()
    {
        var now = host.Clock.GetUtcNow();
        var key = host.Sidecar.SigningKey.SecurityKey;
        string[] forged =
        [
            TestTokens.Create(key, now, audience: "some-other-api"),
            TestTokens.Create(key, now, issuer: "someone-else"),
            // Same key id as the real key, different key: the signature does not verify.
            TestTokens.Create(TestTokens.OtherKey(host.Sidecar.SigningKey.KeyId), now),
            // Signed by a key the JWKS does not publish.
            TestTokens.Create(TestTokens.OtherKey("unknown-key"), now),
            new JsonWebTokenHandler().CreateToken("""{"iss":"dapriot","aud":"dapriot-api","sub":"user-1","exp":9999999999}"""),
            "not-a-token",
        ];

        foreach (var token in forged)
            Assert.Equal(HttpStatusCode.Unauthorized, (await _client.GetWithTokenAsync("api/auth/me", token)).StatusCode);
        // The same claims, rightly made, are accepted: the refusals above are about what each token got wrong.
        Assert.Equal(HttpStatusCode.OK, (await _client.GetWithTokenAsync("api/auth/me", TestTokens.Create(key, now))).StatusCode);
    }

    [Fact]
    public async Task A_token_with_a_tampered_signature_or_payload_is_refused()
    {
        var (_, tokens) = await _client.NewSessionAsync();
        var (_, other) = await _client.NewSessionAsync();

        Assert.Equal(HttpStatusCode.Unauthorized,
            (await _client.GetWithTokenAsync("api/auth/me", TestTokens.WithTamperedSignature(tokens.AccessToken))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await _client.GetWithTokenAsync("api/auth/me", TestTokens.WithPayloadOf(tokens.AccessToken, other.AccessToken))).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_get_the_same_answer()
    {
        var (email, _) = await _client.NewSessionAsync();

        var wrongPassword = await _client.LoginAsync(email, "not the password at all");
        var unknownEmail = await _client.LoginAsync(AuthCalls.NewEmail());

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownEmail.StatusCode);
        var (one, other) = (await AuthCalls.ProblemOf(wrongPassword), await AuthCalls.ProblemOf(unknownEmail));
        Assert.Equal((one.GetProperty("title").GetString(), one.GetProperty("detail").GetString()),
            (other.GetProperty("title").GetString(), other.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Signing_up_twice_with_one_email_in_any_case_is_409()
    {
        var email = AuthCalls.NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await _client.SignUpAsync(email)).StatusCode);

        var again = await _client.SignUpAsync(" " + email.ToUpperInvariant());

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("E-mail already registered", (await AuthCalls.ProblemOf(again)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Of_concurrent_sign_ups_with_one_email_exactly_one_succeeds()
    {
        var email = AuthCalls.NewEmail();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _client.SignUpAsync(email)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
    }

    [Theory]
    [InlineData("api/auth/signup", """{"email":"ann@example.com","password":"short","displayName":"Ann"}""", "password")]
    [InlineData("api/auth/signup", """{"email":"not-an-email","password":"long enough password","displayName":"Ann"}""", "email")]
    [InlineData("api/auth/signup", """{"email":"Ann <ann@example.com>","password":"long enough password","displayName":"Ann"}""", "email")]
    [InlineData("api/auth/signup", """{"email":"ann@example.com","password":"long enough password"}""", "displayName")]
    [InlineData("api/auth/signup", """{"email":5,"password":"long enough password","displayName":"Ann"}""", "email")]
    [InlineData("api/auth/signup", """{"email":"ann@example.com","password":"long enough""", "password")]
    [InlineData("api/auth/signup", "null", "body")]
    [InlineData("api/auth/login", """{"password":"long enough password"}""", "email")]
    [InlineData("api/auth/login", """{"email":"ann@example.com","password":["a"]}""", "password")]
    [InlineData("api/auth/login", "this is not json", "body")]
    [InlineData("api/auth/refresh", "{}", "refreshToken")]
    [InlineData("api/auth/logout", """{"refreshToken":42}""", "refreshToken")]
    public async Task A_malformed_body_is_400_with_problem_details_naming_the_field(string path, string body, string field)
    {
        var response = await _client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await AuthCalls.ProblemOf(response);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
    }

    [Fact]
    public async Task A_body_that_is_not_json_by_its_content_type_is_400_naming_the_body()
    {
        var response = await _client.PostAsync("api/auth/login", new StringContent("email=a@b.c", Encoding.UTF8, "application/x-www-form-urlencoded"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await AuthCalls.ProblemOf(response)).GetProperty("errors").TryGetProperty("body", out _));
    }

    [Fact]
    public async Task Refreshing_rotates_the_refresh_token_and_the_old_one_stops_working()
    {
        var (_, first) = await _client.NewSessionAsync();

        var second = await AuthCalls.TokensOf(await _client.RefreshAsync(first.RefreshToken));
        var again = await _client.RefreshAsync(first.RefreshToken);

        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetWithTokenAsync("api/auth/me", second.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Equal("Refresh token refused", (await AuthCalls.ProblemOf(again)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Presenting_a_used_refresh_token_revokes_its_whole_family()
    {
        var (_, first) = await _client.NewSessionAsync();
        var second = await AuthCalls.TokensOf(await _client.RefreshAsync(first.RefreshToken));

        // Whoever still holds the first token (a thief, or the user it was stolen from) presents it again...
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.RefreshAsync(first.RefreshToken)).StatusCode);

        // ...and the newest token of that login no longer works either: both must log in again.
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.RefreshAsync(second.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task Two_refreshes_with_one_token_at_once_give_at_most_one_new_pair()
    {
        var (_, first) = await _client.NewSessionAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _client.RefreshAsync(first.RefreshToken)));

        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.OK) <= 1);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode));
    }

    [Fact]
    public async Task Logging_out_revokes_the_refresh_token_and_is_204_even_when_repeated()
    {
        var (_, tokens) = await _client.NewSessionAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await _client.LogoutAsync(tokens.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.LogoutAsync(tokens.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.LogoutAsync("never-issued")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.RefreshAsync(tokens.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task The_sixth_login_attempt_on_one_account_within_the_window_is_429_with_retry_after()
    {
        var (email, _) = await _client.NewSessionAsync();   // the login in here is attempt 1
        for (var attempt = 2; attempt <= 5; attempt++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await _client.LoginAsync(email, "wrong password here")).StatusCode);

        var limited = await _client.LoginAsync(email);      // even with the right password

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal(429, (await AuthCalls.ProblemOf(limited)).GetProperty("status").GetInt32());
        // Another account is not affected (NewSessionAsync logs in and checks the answer).
        _ = await _client.NewSessionAsync();
    }

    [Fact]
    public async Task The_jwks_publishes_the_public_key_by_its_id_and_discovery_points_to_it()
    {
        var jwks = await _client.GetFromJsonAsync<JsonElement>(".well-known/jwks.json", Ct);
        var discovery = await _client.GetFromJsonAsync<JsonElement>(".well-known/openid-configuration", Ct);

        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray());
        Assert.Equal(host.Sidecar.SigningKey.KeyId, key.GetProperty("kid").GetString());
        Assert.Equal(("EC", "P-256", "ES256", "sig"), (key.GetProperty("kty").GetString(), key.GetProperty("crv").GetString(),
            key.GetProperty("alg").GetString(), key.GetProperty("use").GetString()));
        Assert.False(key.TryGetProperty("d", out _), "the private part must never be published");
        Assert.Equal(AuthNames.Issuer, discovery.GetProperty("issuer").GetString());
        Assert.EndsWith("/.well-known/jwks.json", discovery.GetProperty("jwks_uri").GetString(), StringComparison.Ordinal);
    }
}
