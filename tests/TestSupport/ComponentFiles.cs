namespace DaprIoT.TestSupport;

/// <summary>
/// The repository's own component YAML — the files <c>./run.sh</c> loads — for a test's run folder, pointed at the
/// test's own servers, so tests and <c>./run.sh</c> cannot drift apart.
/// </summary>
public static class ComponentFiles
{
    /// <summary>Where the committed components point Redis; a test replaces it with its own server's address.</summary>
    public const string SharedRedis = "127.0.0.1:6379";

    /// <summary>
    /// Each file (relative to <c>components/</c>, e.g. <c>common/statestore.yaml</c>) keyed by its file name, with
    /// every replacement applied in order.
    /// </summary>
    public static Dictionary<string, string> Read(IEnumerable<string> files, params (string From, string To)[] replacements) =>
        files.ToDictionary(file => Path.GetFileName(file), file => replacements.Aggregate(
            File.ReadAllText(Path.Combine(RepositoryPaths.Root, "components", file)),
            (text, replacement) => text.Replace(replacement.From, replacement.To, StringComparison.Ordinal)));

    /// <summary>Every file of one folder of <c>components/</c>, as paths <see cref="Read"/> takes.</summary>
    public static IEnumerable<string> In(string folder) =>
        Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "components", folder), "*.yaml").Order()
            .Select(path => Path.Combine(folder, Path.GetFileName(path)));
}
