using System.Text.Json;

namespace DaprIoT.Contracts.Tests;

/// <summary>The shared test vectors in tests/contracts/vectors (format: tests/contracts/PROTOCOL.md, "Test vectors").</summary>
public static class ContractVectors
{
    public const string TopicsFile = "topics.json";

    private static readonly Lazy<IReadOnlyDictionary<string, JsonElement[]>> Files = new(Load);

    /// <summary>Every vector file by name, with its vectors.</summary>
    public static IReadOnlyDictionary<string, JsonElement[]> All => Files.Value;

    public static string Directory { get; } = FindDirectory();

    public static JsonElement Get(string file, int index) => All[file][index];

    /// <summary>One theory row per message vector (every file but topics.json), named by file and vector name.</summary>
    public static IEnumerable<TheoryDataRow<string, int>> MessageCases() =>
        Rows(All.Keys.Where(f => f != TopicsFile));

    /// <summary>One theory row per topic vector.</summary>
    public static IEnumerable<TheoryDataRow<string, int>> TopicCases() => Rows([TopicsFile]);

    private static IEnumerable<TheoryDataRow<string, int>> Rows(IEnumerable<string> files) =>
        from file in files.Order(StringComparer.Ordinal)
        from i in Enumerable.Range(0, All[file].Length)
        select new TheoryDataRow<string, int>(file, i)
        {
            TestDisplayName = $"{file}: {All[file][i].GetProperty("name").GetString()}",
        };

    private static Dictionary<string, JsonElement[]> Load() =>
        System.IO.Directory.GetFiles(Directory, "*.json").ToDictionary(
            path => Path.GetFileName(path),
            path =>
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                return doc.RootElement.GetProperty("vectors").EnumerateArray().Select(v => v.Clone()).ToArray();
            });

    /// <summary>The vectors folder, found by walking up from the test binaries to the repository root.</summary>
    private static string FindDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "contracts", "vectors");
            if (System.IO.Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException($"no tests/contracts/vectors above {AppContext.BaseDirectory}");
    }
}
