namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>The ConformanceApp (tests/TestApps/ConformanceApp) as an app entry of a run: launched as its own process.</summary>
public static class ConformanceAppProcess
{
    public static string Dll => RepositoryPaths.Built(Path.Combine("tests", "TestApps", "ConformanceApp"), "ConformanceApp.dll",
        "dotnet build tests/TestApps/ConformanceApp");

    /// <summary>The ConformanceApp on <paramref name="appPort"/> (it reads APP_PORT).</summary>
    public static HarnessApp Entry(string appId, int appPort, IReadOnlyDictionary<string, string>? env = null) =>
        new(appId, appPort, ["dotnet", Dll], env);
}
