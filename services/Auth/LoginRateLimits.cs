using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using DaprIoT.Contracts;
using Microsoft.Extensions.Options;

namespace DaprIoT.Auth;

/// <summary>
/// Login attempts are limited twice, each with a fixed window (<see cref="AuthOptions.LoginWindow"/>):
/// per client address by the rate-limiting middleware (policy <see cref="PerAddressPolicy"/>), known before the body is
/// read; and per account by <see cref="AccountLoginLimiter"/> inside the handler, once the e-mail is read and normalised.
/// Either answers 429 with <c>Retry-After</c> (seconds) and a ProblemDetails body.
/// </summary>
internal static class LoginRateLimits
{
    public const string PerAddressPolicy = "login-per-address";

    public static IServiceCollection AddLoginRateLimits(this IServiceCollection services)
    {
        services.AddSingleton<AccountLoginLimiter>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(PerAddressPolicy, http =>
            {
                var options = http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
                var address = ClientAddress(http);
                return RateLimitPartition.GetFixedWindowLimiter(address, _ => Window(options.LoginsPerAddress, options.LoginWindow));
            });
            limiter.OnRejected = async (context, _) =>
            {
                SetRetryAfter(context.HttpContext.Response, RetryAfter(context.Lease, TimeSpan.FromMinutes(1)));
                await TooManyAttempts("from this address", context.HttpContext.Response).ExecuteAsync(context.HttpContext);
            };
        });
        return services;
    }

    /// <summary>
    /// Who is logging in: behind a sidecar the connection's address is the sidecar's, so a browser's login forwarded by
    /// the frontend is counted by the address the frontend saw (<see cref="EdgeHeaders.ClientAddress"/>). That header
    /// counts only on calls the sidecar says come from the frontend, which always sets it; from anyone else it is ignored.
    /// </summary>
    public static string ClientAddress(HttpContext http)
    {
        var headers = http.Request.Headers;
        if (headers[EdgeHeaders.CallerAppId] == AppIds.Frontend && IPAddress.TryParse(headers[EdgeHeaders.ClientAddress], out var browser))
            return browser.ToString();
        return http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
    }

    public static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

    public static TimeSpan RetryAfter(RateLimitLease lease, TimeSpan fallback) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : fallback;

    public static void SetRetryAfter(HttpResponse response, TimeSpan retryAfter) =>
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>The 429 answer; <see cref="SetRetryAfter"/> has set the header it quotes.</summary>
    public static ProblemHttpResult TooManyAttempts(string fromWhere, HttpResponse response) =>
        TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: $"Too many login attempts {fromWhere}",
            detail: $"Try again in {response.Headers.RetryAfter} s.");
}

/// <summary>Login attempts per normalised e-mail address (<see cref="AuthOptions.LoginsPerAccount"/> per window).</summary>
internal sealed class AccountLoginLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public AccountLoginLimiter(IOptions<AuthOptions> options)
    {
        var settings = options.Value;
        _limiter = PartitionedRateLimiter.Create<string, string>(email =>
            RateLimitPartition.GetFixedWindowLimiter(email, _ => LoginRateLimits.Window(settings.LoginsPerAccount, settings.LoginWindow)));
    }

    /// <summary>Counts one attempt for the account; null when allowed, else how long until the next is.</summary>
    public TimeSpan? TryAttempt(string normalisedEmail)
    {
        using var lease = _limiter.AttemptAcquire(normalisedEmail);
        return lease.IsAcquired ? null : LoginRateLimits.RetryAfter(lease, TimeSpan.FromMinutes(1));
    }

    public void Dispose() => _limiter.Dispose();
}
