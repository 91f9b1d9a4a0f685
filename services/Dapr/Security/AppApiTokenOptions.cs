namespace DaprIoT.Dapr.Security;

public sealed class AppApiTokenOptions
{
    /// <summary>
    /// Paths served without the token: daprd's app health probes carry no <c>dapr-api-token</c>, and browser-facing
    /// endpoints that never come through the sidecar belong here too.
    /// </summary>
    public IList<string> ExemptPaths { get; } = ["/healthz", "/alive"];
}
