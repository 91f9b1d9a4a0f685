using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using DaprIoT.Deployment.Tests.Rendering;

namespace DaprIoT.Deployment.Tests.RunFile;

/// <summary>One app of dapr.yaml, with its app id as the Dapr CLI settles it (the folder's name when none is given).</summary>
public sealed record RunFileApp(int Index, string AppId, string AppDirPath, int? AppPort, JsonObject Fields);

/// <summary>
/// dapr.yaml held to the rules of the Dapr CLI's Multi-App Run (dapr/cli, pkg/runfileconfig and pkg/standalone's
/// RunConfig): the fields it reads, the paths it resolves and requires to exist, the values it accepts, and the ports
/// and app ids that must not collide once the apps run side by side.
/// </summary>
public static class DaprRunFile
{
    private static readonly HashSet<string> TopLevel = ["version", "name", "common", "apps"];

    // SharedRunConfig: allowed in common and in each app.
    private static readonly HashSet<string> Shared =
    [
        "configFilePath", "appProtocol", "apiListenAddresses", "enableProfiling", "logLevel", "appMaxConcurrency",
        "placementHostAddress", "resourcesPath", "resourcesPaths", "appSSL", "maxBodySize", "readBufferSize",
        "enableAppHealthCheck", "appHealthCheckPath", "appHealthProbeInterval", "appHealthProbeTimeout",
        "appHealthThreshold", "enableApiLogging", "runtimePath", "env", "daprdLogDestination", "appLogDestination",
        "schedulerHostAddress",
    ];

    // RunConfig, ContainerConfiguration and App's own fields: allowed in an app only.
    private static readonly HashSet<string> AppOnly =
    [
        "appID", "appChannelAddress", "appPort", "daprHTTPPort", "daprGRPCPort", "profilePort", "command", "metricsPort",
        "unixDomainSocket", "daprInternalGRPCPort", "containerImage", "containerImagePullPolicy", "createService", "appDirPath",
    ];

    private static readonly HashSet<string> Integers =
    [
        "version", "appPort", "daprHTTPPort", "daprGRPCPort", "profilePort", "metricsPort", "daprInternalGRPCPort",
        "appMaxConcurrency", "appHealthProbeInterval", "appHealthProbeTimeout", "appHealthThreshold",
    ];

    private static readonly HashSet<string> Booleans = ["enableProfiling", "appSSL", "enableAppHealthCheck", "enableApiLogging", "createService"];

    private static readonly string[] Ports = ["appPort", "daprHTTPPort", "daprGRPCPort", "metricsPort", "profilePort", "daprInternalGRPCPort"];

    private static readonly string[] LogDestinations = ["console", "file", "fileAndConsole"];

    private static readonly string[] PullPolicies = ["Always", "Never", "IfNotPresent"];

    private static readonly string[] AppProtocols = ["http", "grpc", "https", "grpcs", "h2c"];

    public static JsonObject Load(string file) =>
        YamlJson.LoadFile(file).SingleOrDefault() as JsonObject
            ?? throw new InvalidDataException($"{Repository.Relative(file)}: not one YAML mapping");

    /// <summary>The apps, with app ids defaulted as the CLI defaults them.</summary>
    public static IReadOnlyList<RunFileApp> Apps(JsonObject runFile, string baseDir) =>
        Manifest.Objects(runFile["apps"]).Select((app, i) =>
        {
            var dir = app["appDirPath"]?.ToString() ?? "";
            var id = app["appID"]?.ToString() is { Length: > 0 } given ? given : Path.GetFileName(Path.GetFullPath(dir, baseDir).TrimEnd('/'));
            int? port = app["appPort"] is JsonValue p && p.TryGetValue<long>(out var n) ? (int)n : null;
            return new RunFileApp(i, id, dir, port, app);
        }).ToList();

    /// <summary>Every rule the file breaks, each naming the file and the field.</summary>
    public static IReadOnlyList<string> Check(string file)
    {
        var errors = new List<string>();
        var name = Repository.Relative(file);
        void Error(string field, string problem) => errors.Add($"{name} {field}: {problem}");
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var root = Load(file);

        foreach (var key in root.Select(p => p.Key).Where(k => !TopLevel.Contains(k)))
            Error(key, $"not a run file field: the Dapr CLI ignores it ({string.Join(", ", TopLevel)})");
        if (root["version"] is not JsonValue version || !version.TryGetValue<long>(out var v) || v == 0)
            Error("version", "required, a whole number other than 0 (the CLI refuses the file without it)");

        var common = root["common"] as JsonObject ?? [];
        if (root["common"] is not null and not JsonObject) Error("common", "must be a mapping");
        CheckFields(common, "common", Shared, Error);
        CheckPaths(common, "common", baseDir, Error);
        if (common["env"] is JsonObject { Count: > 0 })
            foreach (var (app, i) in Manifest.Objects(root["apps"]).Select((a, i) => (a, i)).Where(p => p.a["env"] is not JsonObject))
                Error($"apps[{i}].env", "required while common.env is set: the CLI merges common.env into each app's env and fails on an app without one");

        if (root["apps"] is not JsonArray { Count: > 0 } apps) { Error("apps", "required, a list of apps"); return errors; }
        for (var i = 0; i < apps.Count; i++)
        {
            var at = $"apps[{i}]";
            if (apps[i] is not JsonObject app) { Error(at, "must be a mapping"); continue; }
            CheckFields(app, at, [.. Shared, .. AppOnly], Error);
            var dir = app["appDirPath"]?.ToString();
            if (string.IsNullOrEmpty(dir)) { Error($"{at}.appDirPath", "required (the CLI refuses an app without it)"); continue; }
            var appDir = Path.GetFullPath(dir, baseDir);
            if (!Directory.Exists(appDir)) { Error($"{at}.appDirPath", $"'{dir}' does not exist"); continue; }
            // Paths inside an app are resolved against its appDirPath, not the run file's folder.
            CheckPaths(app, at, appDir, Error);
            // A .dapr/resources or .dapr/config.yaml in the app's folder silently replaces common's.
            if (app["resourcesPaths"] is null && app["resourcesPath"] is null && Directory.Exists(Path.Combine(appDir, ".dapr", "resources")))
                Error($"{at}.appDirPath", $"{dir}/.dapr/resources exists: the CLI would load it instead of common.resourcesPaths");
            if (app["configFilePath"] is null && File.Exists(Path.Combine(appDir, ".dapr", "config.yaml")))
                Error($"{at}.appDirPath", $"{dir}/.dapr/config.yaml exists: the CLI would use it instead of common.configFilePath");
            if (app["containerImagePullPolicy"]?.ToString() is { } policy && !PullPolicies.Contains(policy))
                Error($"{at}.containerImagePullPolicy", $"'{policy}' is not one of {string.Join(", ", PullPolicies)}");
            CheckCommand(app, at, appDir, Error);
        }

        var resolved = Apps(root, baseDir);
        foreach (var group in resolved.GroupBy(a => a.AppId).Where(g => g.Count() > 1))
            Error("apps", $"app id '{group.Key}' is used by apps {string.Join(" and ", group.Select(a => a.Index))}");
        var ports = resolved.SelectMany(a => Ports.Select(p => (App: a, Field: p, Port: a.Fields[p] is JsonValue n && n.TryGetValue<long>(out var port) ? port : 0)))
            .Where(p => p.Port > 0);
        foreach (var group in ports.GroupBy(p => p.Port).Where(g => g.Count() > 1))
            Error("apps", $"port {group.Key} is taken twice: {string.Join(" and ", group.Select(p => $"apps[{p.App.Index}].{p.Field}"))}");
        return errors;
    }

    private static void CheckFields(JsonObject section, string at, HashSet<string> allowed, Action<string, string> error)
    {
        foreach (var (key, value) in section)
        {
            var field = $"{at}.{key}";
            if (!allowed.Contains(key)) { error(field, "not a field the Dapr CLI reads here: it would be ignored"); continue; }
            if (Integers.Contains(key) && !(value is JsonValue n && n.TryGetValue<long>(out _)))
                error(field, $"must be a whole number, not {value?.ToJsonString() ?? "null"}");
            if (Booleans.Contains(key) && value?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                error(field, "must be true or false");
            if (key is "command" or "resourcesPaths" && (value is not JsonArray list || list.Any(x => x?.GetValueKind() != JsonValueKind.String)))
                error(field, "must be a list of strings");
            if (key == "env" && (value is not JsonObject env || env.Any(e => e.Value is JsonObject or JsonArray)))
                error(field, "must be a mapping of names to values");
            if (key is "appLogDestination" or "daprdLogDestination" && !LogDestinations.Contains(value?.ToString()))
                error(field, $"'{value}' is not one of {string.Join(", ", LogDestinations)}");
            if (key == "appProtocol" && !AppProtocols.Contains(value?.ToString()))
                error(field, $"'{value}' is not one of {string.Join(", ", AppProtocols)}");
        }
    }

    /// <summary>The CLI resolves these paths (against <paramref name="baseDir"/>) and refuses the file if one is missing.</summary>
    private static void CheckPaths(JsonObject section, string at, string baseDir, Action<string, string> error)
    {
        foreach (var (path, i) in (section["resourcesPaths"] as JsonArray ?? []).Select((p, i) => (p?.ToString() ?? "", i)))
            if (Directory.Exists(Path.GetFullPath(path, baseDir)))
                CheckComponents(Path.GetFullPath(path, baseDir), $"{at}.resourcesPaths[{i}]", error);
        foreach (var key in new[] { "configFilePath", "resourcesPath", "runtimePath" })
            if (section[key]?.ToString() is { Length: > 0 } path && !Path.Exists(Path.GetFullPath(path, baseDir)))
                error($"{at}.{key}", $"'{path}' does not exist");
        foreach (var (path, i) in (section["resourcesPaths"] as JsonArray ?? []).Select((p, i) => (p?.ToString() ?? "", i)))
            if (!Directory.Exists(Path.GetFullPath(path, baseDir)))
                error($"{at}.resourcesPaths[{i}]", $"'{path}' does not exist");
    }

    /// <summary>daprd outside Kubernetes fails to start a component whose metadata names <c>{podName}</c>: there is no pod.</summary>
    private static void CheckComponents(string folder, string at, Action<string, string> error)
    {
        foreach (var file in Directory.GetFiles(folder, "*.yaml").Concat(Directory.GetFiles(folder, "*.yml")).Order(StringComparer.Ordinal))
            foreach (var doc in YamlJson.LoadFile(file).OfType<JsonObject>().Where(d => d["kind"]?.ToString() == "Component"))
                foreach (var entry in Manifest.Objects(doc["spec"]?["metadata"]))
                    if (entry["value"]?.ToString()?.Contains("{podName}", StringComparison.Ordinal) == true)
                        error(at, $"{Repository.Relative(file)}: component {doc["metadata"]?["name"]} metadata {entry["name"]} uses {{podName}}, which daprd refuses outside Kubernetes ({{uuid}} gives each replica its own)");
    }

    /// <summary>
    /// The command runs in the app's folder: a script it names must be there, and a .NET app's assembly must be the one
    /// its project builds, listening on the appPort the sidecar calls.
    /// </summary>
    private static void CheckCommand(JsonObject app, string at, string appDir, Action<string, string> error)
    {
        if (app["command"] is not JsonArray { Count: > 0 } command) return;
        var words = command.Select(w => w?.ToString() ?? "").ToList();
        if (words[0] == "dotnet" && words.Count > 1 && words[1].EndsWith(".dll", StringComparison.Ordinal))
        {
            var assembly = Path.GetFileNameWithoutExtension(words[1]);
            var projects = Directory.GetFiles(appDir, "*.csproj");
            var names = projects.Select(p => XDocument.Load(p).Descendants("AssemblyName").Select(e => e.Value).FirstOrDefault()
                ?? Path.GetFileNameWithoutExtension(p)).ToList();
            if (!names.Contains(assembly))
                error($"{at}.command", $"runs {words[1]}, but the project in {Repository.Relative(appDir)} builds {(names.Count == 0 ? "nothing" : string.Join(", ", names.Select(n => n + ".dll")))}");
            var urls = words.IndexOf("--urls");
            if (urls >= 0 && urls + 1 < words.Count && app["appPort"] is JsonValue p && p.TryGetValue<long>(out var appPort)
                && Uri.TryCreate(words[urls + 1], UriKind.Absolute, out var url) && url.Port != appPort)
                error($"{at}.command", $"listens on {words[urls + 1]}, but appPort is {appPort.ToString(CultureInfo.InvariantCulture)}");
        }
        else if (words[0].Contains('/', StringComparison.Ordinal) && !File.Exists(Path.GetFullPath(words[0], appDir)))
        {
            error($"{at}.command", $"'{words[0]}' does not exist in {Repository.Relative(appDir)}");
        }
    }
}
