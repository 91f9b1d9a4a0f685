namespace DaprIoT.ConformanceApp;

/// <summary>What happened before the app started listening (reported by <c>GET /pid</c>).</summary>
public sealed class StartupState
{
    /// <summary>Whether <c>DaprClient.WaitForSidecarAsync</c> returned before the app listened (WAIT_FOR_SIDECAR=true).</summary>
    public bool WaitedForSidecar { get; set; }
}
