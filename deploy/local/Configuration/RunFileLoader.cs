using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>
/// Reads <c>dapr.yaml</c> as <c>dapr run -f</c> does (§10.1): <c>common</c> values apply to every app unless
/// the app sets its own, <c>appDirPath</c> and common paths are relative to the run file, per-app paths to the
/// app's folder, and resource folders and the configuration file follow the CLI's precedence.
/// </summary>
public static class RunFileLoader
{
    /// <summary>The keys the Dapr CLI reads in <c>common</c> and <c>apps[]</c> (its run-file struct tags).</summary>
    private static readonly HashSet<string> KnownAppKeys = new(StringComparer.Ordinal)
    {
        "appID", "appDirPath", "appPort", "appProtocol", "command", "env", "daprHTTPPort", "daprGRPCPort",
        "daprInternalGRPCPort", "metricsPort", "profilePort", "enableProfiling", "unixDomainSocket", "resourcesPaths",
        "resourcesPath", "configFilePath", "appLogDestination", "daprdLogDestination", "enableAppHealthCheck",
        "appHealthCheckPath", "appHealthProbeInterval", "appHealthProbeTimeout", "appHealthThreshold", "maxBodySize",
        "readBufferSize", "daprHTTPMaxRequestSize", "daprHTTPReadBufferSize", "apiListenAddresses", "logLevel",
        "appMaxConcurrency", "placementHostAddress", "schedulerHostAddress", "enableApiLogging", "runtimePath",
        "appChannelAddress", "enableMetrics", "appSSL", "daprPath", "containerImage", "containerImagePullPolicy",
        "createService",
    };

    /// <summary>Where the CLI looks when nothing else is configured (<c>dapr init</c>'s folders).</summary>
    private static readonly string DaprHome =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dapr");

    /// <summary>Resolves <paramref name="fileOrFolder"/> (a run file, or a folder holding <c>dapr.yaml</c>) and loads it.</summary>
    public static RunFile Load(string fileOrFolder)
    {
        var path = Path.GetFullPath(fileOrFolder);
        if (Directory.Exists(path))
        {
            var candidate = new[] { "dapr.yaml", "dapr.yml" }.Select(n => Path.Combine(path, n)).FirstOrDefault(File.Exists);
            path = candidate ?? throw new ConfigurationException(path, "(run file)", "the folder contains no dapr.yaml");
        }
        if (!File.Exists(path)) throw new ConfigurationException(path, "(run file)", "the file does not exist");
        return Parse(path, File.ReadAllText(path));
    }

    public static RunFile Parse(string file, string yaml)
    {
        var documents = YamlMap.LoadDocuments(file, yaml);
        if (documents.Count == 0 || documents[0].RootNode is not YamlMappingNode rootNode)
            throw new ConfigurationException(file, "(root)", "the run file must be a mapping with 'version' and 'apps'");
        var root = new YamlMap(file, "", rootNode);
        var version = root.String("version") ?? throw root.Error("version", "is required (version: 1)");
        if (version != "1") throw root.Error("version", $"'{version}' is not a run file version this runtime knows (1)");

        var baseDir = Path.GetDirectoryName(file)!;
        var common = root.Map("common");
        var entries = root.Maps("apps").ToList();
        if (entries.Count == 0) throw root.Error("apps", "must list at least one app");

        var apps = new List<AppDefinition>();
        var replicas = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var app in entries)
        {
            var definition = ParseApp(app, common, baseDir);
            var replica = replicas.GetValueOrDefault(definition.AppId);
            replicas[definition.AppId] = replica + 1;
            apps.Add(definition with { Replica = replica });
        }
        CheckDuplicatePorts(file, apps);
        var warnings = new[] { common }.Concat(entries).OfType<YamlMap>()
            .SelectMany(map => map.Keys.Where(k => !KnownAppKeys.Contains(k)).Select(k => $"{file}: {map.FieldPath(k)}: unknown key, ignored"))
            .Concat(root.Keys.Where(k => k is not ("version" or "common" or "apps")).Select(k => $"{file}: {k}: unknown key, ignored"))
            .ToList();
        return new RunFile(file, apps, warnings);
    }

    private static AppDefinition ParseApp(YamlMap app, YamlMap? common, string baseDir)
    {
        var dirText = app.String("appDirPath") is { Length: > 0 } d ? d : throw app.Error("appDirPath", "is required");
        var appDir = Path.GetFullPath(Path.Combine(baseDir, dirText));
        if (!Directory.Exists(appDir)) throw app.Error("appDirPath", $"the folder '{appDir}' does not exist");

        var appId = app.String("appID") is { Length: > 0 } id ? id : Path.GetFileName(appDir.TrimEnd(Path.DirectorySeparatorChar));
        if (!IsValidAppId(appId)) throw app.Error("appID", $"'{appId}' is not a valid app id (letters, digits, '-', '_' and '.')");

        string? Text(string key) => app.String(key) ?? common?.String(key);
        T? Value<T>(Func<YamlMap, T?> read) where T : struct => read(app) ?? (common is null ? null : read(common));

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in common?.StringMap("env") ?? new Dictionary<string, string>()) env[k] = v;
        foreach (var (k, v) in app.StringMap("env") ?? new Dictionary<string, string>()) env[k] = v;

        var protocol = Text("appProtocol") ?? "http";
        if (protocol is not ("http" or "https" or "grpc" or "grpcs" or "h2c"))
            throw (app.Has("appProtocol") ? app : common!).Error("appProtocol", $"'{protocol}' is not one of http, https, grpc, grpcs, h2c");
        if (protocol is not "http")
            throw (app.Has("appProtocol") ? app : common!).Error("appProtocol", $"'{protocol}' apps are not supported by the local runtime yet (http only)");

        var logDestination = Text("appLogDestination") ?? "fileAndConsole";
        if (logDestination is not ("console" or "file" or "fileAndConsole"))
            throw (app.Has("appLogDestination") ? app : common!).Error("appLogDestination", $"'{logDestination}' is not one of console, file, fileAndConsole");

        AppHealthCheck? health = null;
        if (Value(m => m.Bool("enableAppHealthCheck")) == true)
        {
            var interval = Value(m => m.Int("appHealthProbeInterval")) ?? 5;
            var timeout = Value(m => m.Int("appHealthProbeTimeout")) ?? 500;
            var threshold = Value(m => m.Int("appHealthThreshold")) ?? 3;
            if (interval <= 0) throw app.Error("appHealthProbeInterval", "must be a positive number of seconds");
            if (timeout <= 0) throw app.Error("appHealthProbeTimeout", "must be a positive number of milliseconds");
            if (threshold <= 0) throw app.Error("appHealthThreshold", "must be at least 1");
            var probePath = Text("appHealthCheckPath") ?? "/healthz";
            health = new AppHealthCheck(probePath.StartsWith('/') ? probePath : "/" + probePath,
                TimeSpan.FromSeconds(interval), TimeSpan.FromMilliseconds(timeout), threshold);
        }

        var command = app.StringList("command") ?? [];
        return new AppDefinition
        {
            AppId = appId,
            Replica = 0,
            AppDirPath = appDir,
            Command = command.Count > 0 && app.Find("command") is YamlScalarNode
                ? SplitCommandLine(app.String("command")!)
                : command,
            AppPort = app.Port("appPort"),
            AppProtocol = protocol,
            AppChannelAddress = Text("appChannelAddress") ?? "127.0.0.1",
            DaprHttpPort = app.Port("daprHTTPPort"),
            DaprGrpcPort = app.Port("daprGRPCPort"),
            MetricsPort = app.Port("metricsPort"),
            ResourcesPaths = ResolveResources(app, common, appDir, baseDir),
            ConfigFilePath = ResolveConfig(app, common, appDir, baseDir),
            Env = env,
            HealthCheck = health,
            AppLogDestination = logDestination,
            MaxBodySize = ParseSize(app, common, "maxBodySize") ?? 4 * 1024 * 1024,
        };
    }

    /// <summary>apps[i].resourcesPaths &gt; &lt;appDirPath&gt;/.dapr/resources &gt; common.resourcesPaths &gt; ~/.dapr/components.</summary>
    private static IReadOnlyList<string> ResolveResources(YamlMap app, YamlMap? common, string appDir, string baseDir)
    {
        static IReadOnlyList<string>? Read(YamlMap? map) =>
            map is null ? null : map.StringList("resourcesPaths") ?? (map.String("resourcesPath") is { Length: > 0 } one ? [one] : null);

        if (Read(app) is { Count: > 0 } own) return Existing(app, own, appDir);
        var appResources = Path.Combine(appDir, ".dapr", "resources");
        if (Directory.Exists(appResources)) return [appResources];
        if (Read(common) is { Count: > 0 } shared) return Existing(common!, shared, baseDir);
        var home = Path.Combine(DaprHome, "components");
        return Directory.Exists(home) ? [home] : [];
    }

    private static List<string> Existing(YamlMap map, IReadOnlyList<string> paths, string relativeTo)
    {
        var key = map.Has("resourcesPaths") ? "resourcesPaths" : "resourcesPath";
        return paths.Select(p =>
        {
            var full = Path.GetFullPath(Path.Combine(relativeTo, p));
            return Directory.Exists(full) ? full : throw map.Error(key, $"the folder '{full}' does not exist");
        }).ToList();
    }

    /// <summary>apps[i].configFilePath &gt; &lt;appDirPath&gt;/.dapr/config.yaml &gt; common.configFilePath &gt; ~/.dapr/config.yaml.</summary>
    private static string? ResolveConfig(YamlMap app, YamlMap? common, string appDir, string baseDir)
    {
        string Existing(YamlMap map, string relativeTo)
        {
            var full = Path.GetFullPath(Path.Combine(relativeTo, map.String("configFilePath")!));
            return File.Exists(full) ? full : throw map.Error("configFilePath", $"the file '{full}' does not exist");
        }

        if (app.String("configFilePath") is { Length: > 0 }) return Existing(app, appDir);
        var appConfig = Path.Combine(appDir, ".dapr", "config.yaml");
        if (File.Exists(appConfig)) return appConfig;
        if (common?.String("configFilePath") is { Length: > 0 }) return Existing(common, baseDir);
        var home = Path.Combine(DaprHome, "config.yaml");
        return File.Exists(home) ? home : null;
    }

    /// <summary>Kubernetes-style quantities as the CLI accepts them: <c>4Mi</c>, <c>512Ki</c>, <c>10M</c>, bytes.</summary>
    private static long? ParseSize(YamlMap app, YamlMap? common, string key)
    {
        var map = app.Has(key) ? app : common is not null && common.Has(key) ? common : null;
        if (map?.String(key) is not { Length: > 0 } raw) return null;
        var units = new (string Suffix, long Factor)[]
        {
            ("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("k", 1000), ("K", 1000), ("M", 1_000_000), ("G", 1_000_000_000),
        };
        foreach (var (suffix, factor) in units)
        {
            if (raw.EndsWith(suffix, StringComparison.Ordinal)
                && long.TryParse(raw[..^suffix.Length], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0)
                return n * factor;
        }
        return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) && bytes > 0
            ? bytes
            : throw map.Error(key, $"'{raw}' is not a size such as 4Mi, 512Ki or 1048576");
    }

    private static void CheckDuplicatePorts(string file, IReadOnlyList<AppDefinition> apps)
    {
        var seen = new Dictionary<int, string>();
        foreach (var app in apps)
        {
            foreach (var (field, port) in new[]
                     {
                         ("appPort", app.AppPort), ("daprHTTPPort", app.DaprHttpPort),
                         ("daprGRPCPort", app.DaprGrpcPort), ("metricsPort", app.MetricsPort),
                     })
            {
                if (port is not { } p) continue;
                var here = $"apps[{app.AppId} #{app.Replica}].{field}";
                if (seen.TryGetValue(p, out var first))
                    throw new ConfigurationException(file, here, $"port {p} is already used by {first}");
                seen[p] = here;
            }
        }
    }

    private static bool IsValidAppId(string id) =>
        id.Length > 0 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>A command given as one string: split on spaces, honouring double quotes.</summary>
    private static List<string> SplitCommandLine(string text)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"') { quoted = !quoted; continue; }
            if (char.IsWhiteSpace(c) && !quoted)
            {
                if (current.Length > 0) { parts.Add(current.ToString()); current.Clear(); }
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0) parts.Add(current.ToString());
        return parts;
    }
}
