using System.Security.Claims;
using DaprIoT.Contracts.Auth;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DaprIoT.ServiceDefaults;

/// <summary>
/// Access-token checks for a service whose endpoints need a signed-in user (<c>RequireAuthorization()</c>).
/// </summary>
public static class JwtValidationExtensions
{
    /// <summary>How far the clocks of <c>auth</c> and a service may disagree.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>Where SignalR hubs live; browsers cannot set headers on a WebSocket, so there the token comes in the query.</summary>
    public const string HubsPath = "/hubs";

    // Only reads a token's header (its key id) before validation; never validates.
    private static readonly JsonWebTokenHandler TokenReader = new();

    /// <summary>
    /// JwtBearer authentication that accepts only tokens of <c>auth</c>: issuer <see cref="AuthNames.Issuer"/>, audience
    /// <see cref="AuthNames.Audience"/>, within their lifetime (±<see cref="ClockSkew"/>, on the injected
    /// <see cref="TimeProvider"/>), signed with <see cref="AuthNames.SigningAlgorithm"/> by a key from the JWKS of app
    /// <c>auth</c> (fetched through Dapr service invocation, cached, refetched for an unknown key id). On
    /// <see cref="HubsPath"/> the token may come as the <c>access_token</c> query parameter, as SignalR sends it.
    /// <see cref="ServiceDefaultsExtensions.MapServiceDefaults"/> adds the authentication and authorization middleware.
    /// </summary>
    public static TBuilder AddJwtValidation<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<IJwksSource, DaprJwksSource>();
        builder.Services.TryAddSingleton<JwksCache>();
        builder.Services.AddAuthorization();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<JwksCache, TimeProvider>((options, keys, time) =>
            {
                // Keep the claim names as issued (sub, email, name) instead of mapping them to long WS-* URIs.
                options.MapInboundClaims = false;
                // The token is not kept in the authentication properties: no service reads it back, and a hub connection
                // would hold it for its whole life.
                options.SaveToken = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = AuthNames.Issuer,
                    ValidAudience = AuthNames.Audience,
                    ValidAlgorithms = [AuthNames.SigningAlgorithm],
                    ValidateIssuerSigningKey = true,
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ValidateLifetime = true,
                    ClockSkew = ClockSkew,
                    // The validator's own clock is the machine's; this one is the injected TimeProvider, so tests can move it.
                    LifetimeValidator = (notBefore, expires, _, _) => IsWithinLifetime(time.GetUtcNow().UtcDateTime, notBefore, expires),
                    IssuerSigningKeyResolver = (_, _, _, _) => keys.Keys,
                    NameClaimType = JwtRegisteredClaimNames.Name,
                };
                options.Events = new JwtBearerEvents
                {
                    OnMessageReceived = async context =>
                    {
                        if (context.Request.Path.StartsWithSegments(HubsPath)
                            && context.Request.Query["access_token"].ToString() is { Length: > 0 } queryToken)
                        {
                            context.Token = queryToken;
                        }

                        // Fetch the keys before the (synchronous) validator needs them; a new key id means auth rotated its key.
                        // A request without a token (a health probe, the sidecar asking for subscriptions) needs none.
                        var token = context.Token ?? BearerToken(context.Request);
                        if (token is null) return;
                        var keyId = TokenReader.CanReadToken(token) ? TokenReader.ReadJsonWebToken(token).Kid : null;
                        await keys.EnsureAsync(keyId, context.HttpContext.RequestAborted);
                    },
                    // A hub connection keeps its user for as long as it is open, tens of thousands of them per replica:
                    // keep the user's own claims, not the validated token object and its protocol claims behind them.
                    OnTokenValidated = context =>
                    {
                        context.Principal = UserOnly(context.Principal!, context.Scheme.Name);
                        return Task.CompletedTask;
                    },
                };
            });
        return builder;
    }

    /// <summary>The claims that say who the user is (<see cref="UserClaims"/>), in an identity of their own.</summary>
    private static ClaimsPrincipal UserOnly(ClaimsPrincipal validated, string scheme)
    {
        var claims = validated.Claims.Where(claim => UserClaims.Contains(claim.Type))
            .Select(claim => new Claim(claim.Type, claim.Value));
        return new(new ClaimsIdentity(claims, scheme, JwtRegisteredClaimNames.Name, roleType: null));
    }

    /// <summary>What services read of a user: who (<c>sub</c>), and how to address them. Lifetime, issuer and audience were checked already.</summary>
    public static readonly IReadOnlySet<string> UserClaims = new HashSet<string>(StringComparer.Ordinal)
    {
        JwtRegisteredClaimNames.Sub, JwtRegisteredClaimNames.Email, JwtRegisteredClaimNames.Name,
    };

    private static bool IsWithinLifetime(DateTime now, DateTime? notBefore, DateTime? expires) =>
        expires is { } end && now <= end + ClockSkew && (notBefore is not { } start || now >= start - ClockSkew);

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
