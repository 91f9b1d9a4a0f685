using System.Security.Cryptography;
using System.Text;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// App → sidecar authentication (§1.3): with DAPR_API_TOKEN configured, every request but the two health
/// endpoints needs a matching <c>dapr-api-token</c> header, else 401 with the plain-text body
/// <c>invalid api token</c>. The header is removed so it never reaches another app.
/// </summary>
public sealed class ApiTokenCheck(string token)
{
    public const string Header = "dapr-api-token";
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

    public async Task<bool> AuthorizeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (HttpMethods.IsGet(context.Request.Method)
            && (path.Equals("/v1.0/healthz", StringComparison.Ordinal) || path.Equals("/v1.0/healthz/outbound", StringComparison.Ordinal)))
            return true;
        var given = context.Request.Headers[Header].ToString();
        context.Request.Headers.Remove(Header);
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _expected)) return true;
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("invalid api token");
        return false;
    }
}
