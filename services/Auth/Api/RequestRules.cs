using System.Net.Mail;

namespace DaprIoT.Auth.Api;

/// <summary>What a valid sign-up or login looks like. Each error is keyed by the JSON field it is about.</summary>
internal static class RequestRules
{
    public const int MinPasswordLength = 10;

    // Hashing is deliberately slow; a cap keeps a megabyte "password" from costing more than a real one.
    public const int MaxPasswordLength = 256;

    public const int MaxDisplayNameLength = 100;

    /// <summary>Trimmed and lower-case, so "Ann@Example.com " and "ann@example.com" are one account.</summary>
    public static string NormaliseEmail(string email) => email.Trim().ToLowerInvariant();

    public static Dictionary<string, string[]> CheckSignUp(SignUpRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        CheckEmail(request.Email, errors);
        if (string.IsNullOrEmpty(request.Password))
            errors["password"] = ["Required."];
        else if (request.Password.Length < MinPasswordLength)
            errors["password"] = [$"Must be at least {MinPasswordLength} characters long."];
        else if (request.Password.Length > MaxPasswordLength)
            errors["password"] = [$"Must be at most {MaxPasswordLength} characters long."];
        if (string.IsNullOrWhiteSpace(request.DisplayName))
            errors["displayName"] = ["Required."];
        else if (request.DisplayName.Trim().Length > MaxDisplayNameLength)
            errors["displayName"] = [$"Must be at most {MaxDisplayNameLength} characters long."];
        return errors;
    }

    public static Dictionary<string, string[]> CheckLogin(LoginRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        CheckEmail(request.Email, errors);
        if (string.IsNullOrEmpty(request.Password)) errors["password"] = ["Required."];
        else if (request.Password.Length > MaxPasswordLength) errors["password"] = [$"Must be at most {MaxPasswordLength} characters long."];
        return errors;
    }

    public static Dictionary<string, string[]> CheckRefreshToken(string? refreshToken) =>
        string.IsNullOrWhiteSpace(refreshToken) ? new() { ["refreshToken"] = ["Required."] } : [];

    private static void CheckEmail(string? email, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            errors["email"] = ["Required."];
            return;
        }

        var normalised = NormaliseEmail(email);
        // MailAddress also accepts "Ann <ann@example.com>"; only a bare address that reads back unchanged is one.
        if (normalised.Length > 254 || !MailAddress.TryCreate(normalised, out var address) || address.Address != normalised
            || !address.Host.Contains('.', StringComparison.Ordinal))
            errors["email"] = ["Not a valid e-mail address, e.g. ann@example.com."];
    }
}
