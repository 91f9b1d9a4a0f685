using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.Deployment.Tests.Rendering;

namespace DaprIoT.Deployment.Tests.Schemas;

/// <summary>
/// Kubernetes' own kinds checked against the API's schemas by the kubernetes-models npm package
/// (schema-validator/validate.mjs, run with Node.js), one process for a whole list of objects.
/// </summary>
public static class KubernetesSchemas
{

    /// <summary>Each object's problems, in the order given; empty lists for valid objects.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Validate(IReadOnlyList<JsonObject> objects)
    {
        var source = Path.Combine(Repository.Root, "tests", "Deployment.Tests", "schema-validator");
        if (!Directory.Exists(Path.Combine(source, "node_modules", "kubernetes-models")))
            throw new InvalidOperationException($"{Repository.Relative(source)}/node_modules is missing: run deploy/local/prerequisites.sh (npm ci --prefix {Repository.Relative(source)})");
        var input = new JsonArray(objects.Select((o, i) => (JsonNode)new JsonObject { ["id"] = i, ["object"] = o.DeepClone() }).ToArray());
        var start = new ProcessStartInfo("node", [Path.Combine(source, "validate.mjs")])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = source,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input.ToJsonString());
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("schema-validator/validate.mjs took more than 60 s");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"schema-validator/validate.mjs failed: {stderr.Result}");
        var results = JsonNode.Parse(stdout.Result)!.AsArray();
        var errors = new IReadOnlyList<string>[objects.Count];
        foreach (var result in results)
            errors[result!["id"]!.GetValue<int>()] = result["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        return errors;
    }

}
