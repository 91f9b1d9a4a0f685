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

    /// <summary>The Dapr CRDs the deployment is validated against (Schemas/dapr-crds/README.md says which).</summary>
    public static string DaprCrds => Path.Combine(Root, "tests", "Deployment.Tests", "Schemas", "dapr-crds");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DaprIoT.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no DaprIoT.sln above {AppContext.BaseDirectory}");
    }
}
