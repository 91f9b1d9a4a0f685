namespace DaprIoT.TestSupport;

/// <summary>Where the built runtime and test apps live, found from the test assembly's own location.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding DaprIoT.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests were built with (Debug/Release): the runtime is taken from the same one.</summary>
    public static string Configuration { get; } = FindConfiguration();

    /// <summary>deploy/local/bin/&lt;configuration&gt;/net10.0/dapr-local.dll (built through the test project's project reference).</summary>
    public static string DaprLocalDll => Built(Path.Combine("deploy", "local"), "dapr-local.dll",
        "dotnet build deploy/local/LocalRuntime.csproj");

    /// <summary>A project's built assembly, <c>{projectFolder}/bin/{configuration}/net10.0/{dll}</c>, or an error saying how to build it.</summary>
    public static string Built(string projectFolder, string dll, string buildCommand)
    {
        var path = Path.Combine(Root, projectFolder, "bin", Configuration, "net10.0", dll);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} is not built; run `{buildCommand} -c {Configuration}` from {Root}", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DaprIoT.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no DaprIoT.sln above {AppContext.BaseDirectory}");
    }

    private static string FindConfiguration()
    {
        var parts = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var bin = Array.LastIndexOf(parts, "bin");
        return bin >= 0 && bin + 1 < parts.Length ? parts[bin + 1] : "Debug";
    }
}
