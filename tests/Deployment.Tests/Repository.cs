namespace DaprIoT.Deployment.Tests;

/// <summary>Paths of the repository under test, found from the test assembly's location.</summary>
public static class Repository
{
    /// <summary>The folder holding DaprIoT.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string Kubernetes => Path.Combine(Root, "deploy", "kubernetes");

    public static string RunFile => Path.Combine(Root, "dapr.yaml");

    /// <summary>A path as it is written in messages: relative to the repository root, or in full outside it.</summary>
    public static string Relative(string path) =>
        Path.GetRelativePath(Root, path) is var relative && relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFullPath(path) : relative;

    /// <summary>
    /// The Dapr CRDs, in <c>shared/schemas/dapr-crds</c> beside the repository (<c>../shared</c>) or beside a folder
    /// above it, where a work tree lives one level deeper than the clone.
    /// </summary>
    public static string DaprCrds { get; } = FindDaprCrds();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DaprIoT.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no DaprIoT.sln above {AppContext.BaseDirectory}");
    }

    private static string FindDaprCrds()
    {
        for (var dir = Directory.GetParent(Root); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "schemas", "dapr-crds");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"shared/schemas/dapr-crds was not found beside {Root} or any folder above it");
    }
}
