namespace DaprIoT.Auth.Users;

/// <summary>A user as stored (key <c>user-{id}</c>). <see cref="Email"/> is normalised: trimmed, lower-case.</summary>
public sealed record UserRecord(string Id, string Email, string DisplayName, string PasswordHash, DateTimeOffset CreatedAt);
