namespace DaprIoT.Deployment.Tests;

/// <summary>
/// What deploy/kubernetes already runs but the local files do not list yet, because the services that need it are
/// being written: device-management and frontend (their dapr.yaml entries), and device-management's broadcast bus
/// (its component YAML). A test reads an entry here only while dapr.yaml or components/ lack it; from the moment they
/// have it, they are the reference and the entry here is ignored (and can be deleted).
/// </summary>
public static class PendingEntries
{
    /// <summary>App id → app port, for Deployments whose app is not in dapr.yaml yet.</summary>
    public static IReadOnlyDictionary<string, int> RunFileApps { get; } = new Dictionary<string, int>
    {
        ["device-management"] = 5105,
        ["frontend"] = 5100,
    };

    /// <summary>Components the overlays render that components/ does not have yet.</summary>
    public static IReadOnlySet<string> Components { get; } = new HashSet<string> { "pubsub-broadcast" };
}
