using System.Security.Claims;
using DaprIoT.Auth.Tokens;
using DaprIoT.Auth.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.JsonWebTokens;

namespace DaprIoT.Auth.Api;

/// <summary>
/// /api/auth: sign up, log in, refresh, log out, and who am I. Every bad request is a ProblemDetails whose
/// <c>errors</c> name the fields; a wrong e-mail and a wrong password get the same answer, so the API does not tell
/// which e-mails have accounts.
/// </summary>
internal static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/auth");
        api.MapPost("/signup", SignUpAsync);
        api.MapPost("/login", LoginAsync).RequireRateLimiting(LoginRateLimits.PerAddressPolicy);
        api.MapPost("/refresh", RefreshAsync);
        api.MapPost("/logout", LogoutAsync);
        api.MapGet("/me", Me).RequireAuthorization();
        return app;
    }

    private static async Task<Results<Created<SignUpResponse>, ValidationProblem, ProblemHttpResult>> SignUpAsync(
        HttpRequest http, UserStore users, IPasswordHasher<UserRecord> hasher, TimeProvider time, CancellationToken cancellationToken)
    {
        var (request, errors) = await JsonBody.ReadAsync<SignUpRequest>(http, cancellationToken);
        if (request is not null) errors = RequestRules.CheckSignUp(request);
        if (request is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var user = new UserRecord(Guid.NewGuid().ToString("N"), RequestRules.NormaliseEmail(request.Email!), request.DisplayName!.Trim(),
            PasswordHash: "", time.GetUtcNow());
        user = user with { PasswordHash = hasher.HashPassword(user, request.Password!) };
        if (!await users.TryCreateAsync(user, cancellationToken))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "E-mail already registered",
                detail: "An account with this e-mail exists. Log in with it, or sign up with another e-mail.");
        return TypedResults.Created($"/api/auth/users/{user.Id}", new SignUpResponse(user.Id));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        HttpRequest http, UserStore users, IPasswordHasher<UserRecord> hasher, AccountLoginLimiter limiter,
        AccessTokenIssuer accessTokens, RefreshTokenStore refreshTokens, CancellationToken cancellationToken)
    {
        var (request, errors) = await JsonBody.ReadAsync<LoginRequest>(http, cancellationToken);
        if (request is not null) errors = RequestRules.CheckLogin(request);
        if (request is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var email = RequestRules.NormaliseEmail(request.Email!);
        if (limiter.TryAttempt(email) is { } retryAfter)
        {
            LoginRateLimits.SetRetryAfter(http.HttpContext.Response, retryAfter);
            return LoginRateLimits.TooManyAttempts("for this account", http.HttpContext.Response);
        }

        var user = await users.FindByEmailAsync(email, cancellationToken);
        // An unknown e-mail still costs one hash check, so the answer's timing does not tell that the account is missing.
        var verdict = hasher.VerifyHashedPassword(user ?? NoUser, user?.PasswordHash ?? NoUser.PasswordHash, request.Password!);
        if (user is null || verdict == PasswordVerificationResult.Failed)
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Login failed",
                detail: "The e-mail or the password is wrong.");
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
            await users.UpdateAsync(user = user with { PasswordHash = hasher.HashPassword(user, request.Password!) }, cancellationToken);

        return TypedResults.Ok(Issue(user, accessTokens, await refreshTokens.IssueForLoginAsync(user.Id, cancellationToken)));
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> RefreshAsync(
        HttpRequest http, UserStore users, AccessTokenIssuer accessTokens, RefreshTokenStore refreshTokens, CancellationToken cancellationToken)
    {
        var (request, errors) = await JsonBody.ReadAsync<RefreshRequest>(http, cancellationToken);
        if (request is not null) errors = RequestRules.CheckRefreshToken(request.RefreshToken);
        if (request is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var rotation = await refreshTokens.RotateAsync(request.RefreshToken!, cancellationToken);
        var user = rotation.UserId is null ? null : await users.GetAsync(rotation.UserId, cancellationToken);
        if (user is null || rotation.NextToken is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Refresh token refused",
                detail: "The refresh token is unknown, expired, revoked or already used. Log in again.");
        return TypedResults.Ok(Issue(user, accessTokens, rotation.NextToken));
    }

    private static async Task<Results<NoContent, ValidationProblem>> LogoutAsync(
        HttpRequest http, RefreshTokenStore refreshTokens, CancellationToken cancellationToken)
    {
        var (request, errors) = await JsonBody.ReadAsync<LogoutRequest>(http, cancellationToken);
        if (request is not null) errors = RequestRules.CheckRefreshToken(request.RefreshToken);
        if (request is null || errors.Count > 0) return TypedResults.ValidationProblem(errors);

        await refreshTokens.RevokeAsync(request.RefreshToken!, cancellationToken);
        return TypedResults.NoContent();
    }

    private static Ok<MeResponse> Me(ClaimsPrincipal user) =>
        TypedResults.Ok(new MeResponse(user.FindFirstValue(JwtRegisteredClaimNames.Sub) ?? "",
            user.FindFirstValue(JwtRegisteredClaimNames.Email) ?? "", user.FindFirstValue(JwtRegisteredClaimNames.Name) ?? ""));

    private static TokenResponse Issue(UserRecord user, AccessTokenIssuer accessTokens, string refreshToken)
    {
        var (token, lifetime) = accessTokens.Issue(user);
        return new TokenResponse(token, "Bearer", (int)lifetime.TotalSeconds, refreshToken);
    }

    /// <summary>A stand-in checked against when the e-mail has no account; no password matches its hash.</summary>
    private static readonly UserRecord NoUser = new("", "", "",
        new PasswordHasher<UserRecord>().HashPassword(new UserRecord("", "", "", "", default), Guid.NewGuid().ToString()), default);
}
