using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace DaprIoT.Deployment.Tests.Rendering;

/// <summary>
/// The overlays under deploy/kubernetes/overlays, each rendered once per test run with <c>kubectl kustomize</c>, as
/// <c>kubectl apply -k</c> renders it.
/// </summary>
public static class Overlays
{
    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<Manifest>>> Rendered = new();
    private static readonly Lazy<SourceIndex> Sources = new(() => new SourceIndex(Repository.Kubernetes));

    public static IReadOnlyList<string> Names { get; } =
        Directory.GetDirectories(Path.Combine(Repository.Kubernetes, "overlays"))
            .Where(d => File.Exists(Path.Combine(d, "kustomization.yaml")))
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>For a Theory over every overlay.</summary>
    public static TheoryData<string> All => new(Names);

    public static IReadOnlyList<Manifest> Render(string overlay) =>
        Rendered.GetOrAdd(overlay, name => new Lazy<IReadOnlyList<Manifest>>(() => RenderNow(name))).Value;

    private static List<Manifest> RenderNow(string overlay)
    {
        var folder = Path.Combine(Repository.Kubernetes, "overlays", overlay);
        var start = new ProcessStartInfo("kubectl", ["kustomize", folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("kubectl is not on PATH: it renders the overlays (deploy/local/prerequisites.sh says how to get it)", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl kustomize {Repository.Relative(folder)} took more than 60 s");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"kubectl kustomize {Repository.Relative(folder)} failed: {stderr.Result.Trim()}");
            return YamlJson.Load($"kubectl kustomize {Repository.Relative(folder)}", stdout.Result)
                .OfType<JsonObject>()
                .Select(o => new Manifest(overlay, o, Sources.Value.Find(overlay, o)))
                .ToList();
        }
    }

    /// <summary>Which file under deploy/kubernetes declares an object (by kind and name), for messages.</summary>
    private sealed class SourceIndex
    {
        private readonly Dictionary<(string Kind, string Name), List<(string File, JsonNode? Spec)>> _files = [];

        public SourceIndex(string root)
        {
            foreach (var file in Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(file) == "kustomization.yaml") continue;
                foreach (var doc in YamlJson.LoadFile(file).OfType<JsonObject>())
                {
                    var key = (doc["kind"]?.ToString() ?? "", doc["metadata"]?["name"]?.ToString() ?? "");
                    if (!_files.TryGetValue(key, out var list)) _files[key] = list = [];
                    list.Add((Repository.Relative(file), doc["spec"]));
                }
            }
        }

        public string Find(string overlay, JsonObject o)
        {
            var key = (o["kind"]?.ToString() ?? "", o["metadata"]?["name"]?.ToString() ?? "");
            if (!_files.TryGetValue(key, out var candidates)) return "deploy/kubernetes (generated)";
            // The same name in several files (a bus component in each bus overlay): the one with the same spec.
            var same = candidates.Where(c => JsonNode.DeepEquals(c.Spec, o["spec"])).Select(c => c.File).ToList();
            if (same.Count == 1) return same[0];
            var files = candidates.Select(c => c.File).ToList();
            var own = Path.Combine("deploy", "kubernetes", "overlays", overlay) + Path.DirectorySeparatorChar;
            return files.FirstOrDefault(f => f.StartsWith(own, StringComparison.Ordinal))
                ?? files.FirstOrDefault(f => f.Contains($"{Path.DirectorySeparatorChar}base{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                ?? files[0];
        }
    }
}
