using System.Net;
using System.Net.Http.Json;
using DaprIoT.Auth.Tests.Support;
using DaprIoT.Contracts;

namespace DaprIoT.Auth.Tests;

/// <summary>Tests that move the clock or change a limit, each on an auth host of its own.</summary>
public sealed class LifetimeAndLimitTests(AuthSidecar sidecar)
{
    [Fact]
    public async Task An_access_token_is_accepted_for_ten_minutes_and_the_clock_skew_then_refused()
    {
        await using var host = new AuthHost(sidecar);
        var client = host.CreateClient();
        var (_, tokens) = await client.NewSessionAsync();

        host.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(29));
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithTokenAsync("api/auth/me", tokens.AccessToken)).StatusCode);

        host.Clock.Advance(TimeSpan.FromSeconds(2));
        var expired = await client.GetWithTokenAsync("api/auth/me", tokens.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("lifetime is invalid", expired.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_access_token_lifetime_is_configurable()
    {
        await using var host = new AuthHost(sidecar).With("Auth:AccessTokenLifetime", "00:02:00");
        var client = host.CreateClient();

        var (_, tokens) = await client.NewSessionAsync();

        Assert.Equal(120, tokens.ExpiresIn);
    }

    [Fact]
    public async Task A_refresh_token_stops_working_when_its_login_expires_however_often_it_was_rotated()
    {
        await using var host = new AuthHost(sidecar).With("Auth:RefreshTokenLifetime", "01:00:00");
        var client = host.CreateClient();
        var (_, tokens) = await client.NewSessionAsync();

        host.Clock.Advance(TimeSpan.FromMinutes(40));
        tokens = await AuthCalls.TokensOf(await client.RefreshAsync(tokens.RefreshToken));
        host.Clock.Advance(TimeSpan.FromMinutes(20));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.RefreshAsync(tokens.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task Logins_from_one_address_beyond_its_limit_are_429_whatever_the_account()
    {
        await using var host = new AuthHost(sidecar).With("Auth:LoginsPerAddress", "3");
        var client = host.CreateClient();
        for (var attempt = 1; attempt <= 3; attempt++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.LoginAsync(AuthCalls.NewEmail())).StatusCode);

        var limited = await client.LoginAsync(AuthCalls.NewEmail());

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("3600", limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal("Too many login attempts from this address", (await AuthCalls.ProblemOf(limited)).GetProperty("title").GetString());
        // Sign-up is not a login: not limited by it.
        Assert.Equal(HttpStatusCode.Created, (await client.SignUpAsync(AuthCalls.NewEmail())).StatusCode);
    }

    [Fact]
    public async Task Logins_forwarded_by_the_frontend_are_limited_per_browser_address_and_the_header_counts_from_no_one_else()
    {
        await using var host = new AuthHost(sidecar).With("Auth:LoginsPerAddress", "2");
        var client = host.CreateClient();
        Task<HttpResponseMessage> Login(string? caller, string address)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "api/auth/login")
            {
                Content = JsonContent.Create(new { email = AuthCalls.NewEmail(), password = AuthCalls.Password }),
            };
            if (caller is not null) request.Headers.Add(EdgeHeaders.CallerAppId, caller);
            request.Headers.Add(EdgeHeaders.ClientAddress, address);
            return client.SendAsync(request, TestContext.Current.CancellationToken);
        }

        // Two browsers behind the frontend: each has its own two attempts.
        for (var attempt = 1; attempt <= 2; attempt++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await Login(AppIds.Frontend, "203.0.113.7")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Login(AppIds.Frontend, "203.0.113.7")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Login(AppIds.Frontend, "2001:db8::9")).StatusCode);

        // Any other caller is counted by its connection, whatever address it claims.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Login("statistics", "198.51.100.1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Login(null, "198.51.100.2")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Login(null, "198.51.100.3")).StatusCode);
    }
}
