using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Auth;

namespace DaprIoT.ServiceDefaults;

/// <summary>Where a service gets the JSON Web Key Set its access tokens are checked against.</summary>
public interface IJwksSource
{
    /// <summary>The JWKS document (<c>{"keys":[…]}</c>) as JSON text.</summary>
    Task<string> GetJwksAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Asks the <c>auth</c> app for its keys through Dapr service invocation, so a service needs no URL of <c>auth</c>:
/// its sidecar finds it, with mTLS and resiliency as for every other call.
/// </summary>
internal sealed class DaprJwksSource(DaprClient dapr) : IJwksSource
{
    public async Task<string> GetJwksAsync(CancellationToken cancellationToken)
    {
        // An HttpClient whose requests to http://auth/… go through the sidecar's invocation API: the SDK's
        // recommended form of HTTP service invocation (DaprClient.InvokeMethodAsync is marked obsolete in its favour).
        using var http = dapr.CreateInvokableHttpClient(AppIds.Auth);
        return await http.GetStringAsync(AuthNames.JwksMethod, cancellationToken);
    }
}
