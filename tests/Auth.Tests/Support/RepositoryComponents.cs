using DaprIoT.TestSupport;

namespace DaprIoT.Auth.Tests.Support;

/// <summary>The repository's component YAML that app <c>auth</c> uses — the files ./run.sh loads — pointed at a test's Redis.</summary>
public static class RepositoryComponents
{
    /// <summary>Where <c>auth-secrets.yaml</c> reads the key, relative to a harness run folder (apps live in apps/{appId}).</summary>
    public const string SecretsFile = ".dapr-local/secrets/auth.json";

    public static Dictionary<string, string> For(string redisAddress) =>
        ComponentFiles.Read(["common/statestore.yaml", "common/auth-secrets.yaml"], (ComponentFiles.SharedRedis, redisAddress));
}
