using System.Net;
using System.Text.Json;
using DaprIoT.Auth.Tests.Support;
using DaprIoT.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.Auth.Tests;

/// <summary>
/// <see cref="JwtValidationExtensions.AddJwtValidation"/> as any other service uses it, with the auth service's JWKS
/// replaced by one the test controls (the JWKS through Dapr invocation is covered by the platform tests).
/// </summary>
public sealed class JwtValidationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class FakeJwks : IJwksSource
    {
        public List<SecurityKey> Published { get; } = [];

        public int Fetches { get; private set; }

        public bool Down { get; set; }

        public Task<string> GetJwksAsync(CancellationToken cancellationToken)
        {
            Fetches++;
            if (Down) throw new HttpRequestException("auth is down");
            var keys = Published.Select(key => JsonWebKeyConverter.ConvertFromSecurityKey(key))
                .Select(jwk => new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = jwk.Kid, alg = "ES256", use = "sig" });
            return Task.FromResult(JsonSerializer.Serialize(new { keys }));
        }
    }

    private static async Task<(WebApplication App, HttpClient Client)> StartServiceAsync(FakeJwks jwks, FakeTimeProvider clock)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults();
        builder.AddJwtValidation();
        builder.Services.AddSingleton<IJwksSource>(jwks);
        builder.Services.AddSingleton<TimeProvider>(clock);
        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGet("/api/devices", () => "devices").RequireAuthorization();
        app.MapGet("/hubs/devices", () => "hub").RequireAuthorization();
        await app.StartAsync(Ct);
        return (app, app.GetTestClient());
    }

    private static ECDsaSecurityKey NewKey(string kid) => TestTokens.OtherKey(kid);

    [Fact]
    public async Task A_hub_takes_the_token_from_the_access_token_query_and_other_paths_do_not()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var key = NewKey("k1");
        var jwks = new FakeJwks { Published = { key } };
        var (app, client) = await StartServiceAsync(jwks, clock);
        await using var _ = app;
        var token = TestTokens.Create(key, clock.GetUtcNow());

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/hubs/devices?access_token={token}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/devices?access_token={token}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithTokenAsync("/api/devices", token)).StatusCode);
    }

    [Fact]
    public async Task A_token_signed_by_a_new_key_makes_the_service_fetch_the_keys_again()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var oldKey = NewKey("old");
        var jwks = new FakeJwks { Published = { oldKey } };
        var (app, client) = await StartServiceAsync(jwks, clock);
        await using var _ = app;
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithTokenAsync("/api/devices", TestTokens.Create(oldKey, clock.GetUtcNow()))).StatusCode);

        // auth rotates its key: it publishes the new one and signs with it (a while after the last fetch: fetches for
        // unknown key ids are at most 10 s apart).
        clock.Advance(TimeSpan.FromSeconds(11));
        var newKey = NewKey("new");
        jwks.Published.Add(newKey);
        var response = await client.GetWithTokenAsync("/api/devices", TestTokens.Create(newKey, clock.GetUtcNow()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, jwks.Fetches);
    }

    [Fact]
    public async Task Made_up_key_ids_do_not_make_the_service_fetch_keys_more_than_once_per_interval()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var key = NewKey("real");
        var jwks = new FakeJwks { Published = { key } };
        var (app, client) = await StartServiceAsync(jwks, clock);
        await using var _ = app;
        await client.GetWithTokenAsync("/api/devices", TestTokens.Create(key, clock.GetUtcNow()));

        for (var i = 0; i < 5; i++)
        {
            var forged = TestTokens.Create(NewKey($"made-up-{i}"), clock.GetUtcNow());
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithTokenAsync("/api/devices", forged)).StatusCode);
        }

        Assert.Equal(1, jwks.Fetches);
        clock.Advance(TimeSpan.FromSeconds(11));
        await client.GetWithTokenAsync("/api/devices", TestTokens.Create(NewKey("made-up-later"), clock.GetUtcNow()));
        Assert.Equal(2, jwks.Fetches);
    }

    [Fact]
    public async Task When_the_keys_cannot_be_fetched_requests_are_401_not_500()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var key = NewKey("k1");
        var jwks = new FakeJwks { Published = { key }, Down = true };
        var (app, client) = await StartServiceAsync(jwks, clock);
        await using var _ = app;

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithTokenAsync("/api/devices", TestTokens.Create(key, clock.GetUtcNow()))).StatusCode);

        jwks.Down = false;
        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithTokenAsync("/api/devices", TestTokens.Create(key, clock.GetUtcNow()))).StatusCode);
    }

    [Fact]
    public async Task Requests_without_a_token_fetch_no_keys_and_a_first_failed_fetch_is_retried_within_a_second()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var key = NewKey("k1");
        var jwks = new FakeJwks { Published = { key }, Down = true };
        var (app, client) = await StartServiceAsync(jwks, clock);
        await using var _ = app;

        // The sidecar's probes and anonymous calls come before auth is up: they cost no fetch.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/devices", Ct)).StatusCode);
        Assert.Equal(0, jwks.Fetches);

        // The first token meets auth still down; auth comes up, and a second later tokens are taken.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithTokenAsync("/api/devices", TestTokens.Create(key, clock.GetUtcNow()))).StatusCode);
        jwks.Down = false;
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithTokenAsync("/api/devices", TestTokens.Create(key, clock.GetUtcNow()))).StatusCode);
        Assert.Equal(2, jwks.Fetches);
    }
}
