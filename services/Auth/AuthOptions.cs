using System.ComponentModel.DataAnnotations;

namespace DaprIoT.Auth;

/// <summary>Settings of the auth service: configuration section <c>Auth</c> (e.g. <c>Auth__LoginsPerAccount=5</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>How long an access token is accepted. Short, because an access token cannot be revoked.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "01:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a login lasts: every refresh token of one login expires then; refreshing does not extend it.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Login attempts per e-mail address per <see cref="LoginWindow"/>, against guessing one account's password.</summary>
    [Range(1, 10_000)]
    public int LoginsPerAccount { get; set; } = 5;

    /// <summary>Login attempts per client address per <see cref="LoginWindow"/>, against trying many accounts from one place.</summary>
    [Range(1, 100_000)]
    public int LoginsPerAddress { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LoginWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The Dapr secret store holding the signing key (components/common/auth-secrets.yaml).</summary>
    [Required]
    public string SecretStore { get; set; } = "auth-secrets";

    /// <summary>The secret holding the PEM of the EC P-256 private key that signs access tokens.</summary>
    [Required]
    public string SigningKeySecret { get; set; } = "auth-signing-key";
}
