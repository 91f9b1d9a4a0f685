namespace DaprIoT.Auth.Api;

// The request and response bodies of /api/auth, side by side so the API reads in one place. Request fields are
// nullable: a missing field is then reported by name, like a wrong one, instead of failing the whole body.

public sealed record SignUpRequest(string? Email, string? Password, string? DisplayName);

public sealed record SignUpResponse(string UserId);

public sealed record LoginRequest(string? Email, string? Password);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record LogoutRequest(string? RefreshToken);

/// <summary>An access token (<see cref="ExpiresIn"/> seconds) and the refresh token that gets the next one.</summary>
public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken);

/// <summary>The signed-in user, as the access token names them.</summary>
public sealed record MeResponse(string UserId, string Email, string DisplayName);
