using System.Globalization;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.PubSub;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Secrets;
using YamlDotNet.RepresentationModel;

namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>
/// Loads resource folders as daprd does self-hosted (§5.1): every <c>*.yaml</c>/<c>*.yml</c>, multi-document
/// files allowed, the <c>kind</c> choosing Component, Subscription, Resiliency or Configuration. Other kinds are
/// skipped with a log line; a manifest whose <c>metadata.namespace</c> differs from env <c>NAMESPACE</c> is skipped.
/// </summary>
public sealed partial class ResourceLoader(ILogger logger, string? @namespace = null)
{
    /// <param name="appId">The app the resources are loaded for: <c>secretKeyRef</c>s are resolved only in the
    /// components it may use (others may name secrets only their own apps can read). Null: in every component.</param>
    /// <param name="appDirectory">The app's folder, from which a <c>secretstores.local.file</c> component reads a
    /// relative <c>secretsFile</c> (as the secrets API reads it). Null: the current directory.</param>
    public ResourceSet Load(IEnumerable<string> folders, string? appId = null, string? appDirectory = null)
    {
        var components = new List<ComponentSpec>();
        var subscriptions = new List<SubscriptionSpec>();
        var resiliencies = new List<ResiliencyDocument>();
        var configurations = new List<DaprConfiguration>();
        var pendingSecrets = new List<(YamlMap Entry, string Component, string Store)>();

        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder)) continue;
            var files = Directory.EnumerateFiles(folder)
                .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal);
            foreach (var file in files)
            {
                var index = 0;
                foreach (var document in YamlMap.LoadDocuments(file, File.ReadAllText(file)))
                {
                    index++;
                    if (document.RootNode is not YamlMappingNode node) continue;
                    var doc = new YamlMap(file, "", node);
                    var kind = doc.String("kind");
                    var metadata = doc.Map("metadata");
                    var manifestNamespace = metadata?.String("namespace");
                    if (@namespace is not null && manifestNamespace is not null && manifestNamespace != @namespace)
                    {
                        SkippedNamespace(logger, file, manifestNamespace, @namespace);
                        continue;
                    }
                    switch (kind)
                    {
                        case "Component":
                            components.Add(ParseComponent(doc, pendingSecrets));
                            break;
                        case "Subscription":
                            subscriptions.Add(ParseSubscription(doc));
                            break;
                        case "Resiliency":
                            resiliencies.Add(ParseResiliency(doc));
                            break;
                        case "Configuration":
                            configurations.Add(ParseConfiguration(doc));
                            break;
                        default:
                            SkippedKind(logger, file, index, kind ?? "(none)");
                            break;
                    }
                }
            }
        }

        var duplicate = components.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            var second = duplicate.ElementAt(1);
            throw new ConfigurationException(second.SourceFile, "metadata.name",
                $"component '{duplicate.Key}' is also defined in {duplicate.First().SourceFile}");
        }
        var resolved = ResolveSecrets(components, pendingSecrets.Where(p => appId is null || components.First(c => c.Name == p.Component).IsVisibleTo(appId)),
            appDirectory ?? Environment.CurrentDirectory);
        return new ResourceSet(resolved, subscriptions, resiliencies, configurations);
    }

    /// <summary>Reads the file named by <c>configFilePath</c>: its first Configuration document.</summary>
    public static DaprConfiguration LoadConfiguration(string file)
    {
        foreach (var document in YamlMap.LoadDocuments(file, File.ReadAllText(file)))
        {
            if (document.RootNode is not YamlMappingNode node) continue;
            var doc = new YamlMap(file, "", node);
            var kind = doc.String("kind");
            if (kind == "Configuration") return ParseConfiguration(doc);
            throw doc.Error("kind", $"'{kind}' is not Configuration");
        }
        throw new ConfigurationException(file, "kind", "the file holds no Configuration document");
    }

    private static ComponentSpec ParseComponent(YamlMap doc, List<(YamlMap, string, string)> pendingSecrets)
    {
        CheckApiVersion(doc, "dapr.io/v1alpha1");
        var metadata = doc.Map("metadata") ?? throw doc.Error("metadata", "is required (metadata.name)");
        var name = metadata.RequiredString("name");
        var spec = doc.Map("spec") ?? throw doc.Error("spec", $"component '{name}' has no spec");
        var type = spec.RequiredString("type");
        if (!ComponentTypes.Known.Contains(type))
            throw spec.Error("type", $"component '{name}': '{type}' is not a component type the local runtime provides ({string.Join(", ", ComponentTypes.Known.Order(StringComparer.Ordinal))})");
        var version = spec.String("version") is { Length: > 0 } v ? v : "v1";
        if (version != "v1") throw spec.Error("version", $"component '{name}': version '{version}' of {type} is not supported (v1)");
        var secretStore = doc.Map("auth")?.String("secretStore");

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in spec.Maps("metadata"))
        {
            var key = entry.RequiredString("name");
            if (entry.Find("secretKeyRef") is not null)
            {
                if (secretStore is null)
                    throw entry.Error("secretKeyRef", $"component '{name}' metadata '{key}': secret stores are not supported by the local runtime except secretstores.local.env and secretstores.local.file; set auth.secretStore to such a component or give a value");
                pendingSecrets.Add((entry, name, secretStore));
                continue;
            }
            if (entry.String("envRef") is { Length: > 0 } envRef)
            {
                values[key] = Environment.GetEnvironmentVariable(envRef)
                    ?? throw entry.Error("envRef", $"component '{name}' metadata '{key}': environment variable '{envRef}' is not set");
                continue;
            }
            values[key] = entry.Find("value") switch
            {
                null => "",
                YamlScalarNode s => s.Value ?? "",
                _ => throw entry.Error("value", $"component '{name}' metadata '{key}' must be a text value"),
            };
        }

        return new ComponentSpec(name, type, version, values, doc.StringList("scopes") ?? [],
            spec.Bool("ignoreErrors") ?? false, doc.File)
        {
            InitTimeout = spec.Duration("initTimeout") ?? TimeSpan.FromSeconds(5),
        };
    }

    /// <summary>
    /// secretKeyRef values come from the component named by <c>auth.secretStore</c>, a <c>secretstores.local.env</c>
    /// (the secret name is an environment variable) or <c>secretstores.local.file</c> store, opened as the secrets
    /// API opens it. <c>key</c> picks one value of the secret and defaults to its name, as in daprd.
    /// </summary>
    private static List<ComponentSpec> ResolveSecrets(List<ComponentSpec> components,
        IEnumerable<(YamlMap Entry, string Component, string Store)> pending, string appDirectory)
    {
        var opened = new Dictionary<string, ISecretStore>(StringComparer.Ordinal);
        foreach (var (entry, componentName, storeName) in pending)
        {
            var store = components.FirstOrDefault(c => c.Name == storeName);
            if (store is null || store.Type is not ("secretstores.local.env" or "secretstores.local.file"))
                throw entry.Error("secretKeyRef", $"component '{componentName}': auth.secretStore '{storeName}' is not a secretstores.local.env or secretstores.local.file component in the same resources (other secret stores are not supported)");
            var reference = entry.Map("secretKeyRef") ?? throw entry.Error("secretKeyRef", "must be a mapping with name and key");
            var secretName = reference.RequiredString("name");
            string value;
            if (store.Type == "secretstores.local.env")
            {
                var prefix = store.GetString("prefix") ?? "";
                value = Environment.GetEnvironmentVariable(prefix + secretName)
                    ?? throw entry.Error("secretKeyRef", $"component '{componentName}': secret '{secretName}' (environment variable '{prefix + secretName}') is not set");
            }
            else
            {
                if (!opened.TryGetValue(storeName, out var files)) opened[storeName] = files = SecretStores.Open(store, appDirectory);
                var secretsFile = Path.GetFullPath(store.GetRequiredString("secretsFile"), appDirectory);
                var values = files.GetAll().GetValueOrDefault(secretName)
                    ?? throw entry.Error("secretKeyRef", $"component '{componentName}': secret '{secretName}' is not in {secretsFile} (secret store '{storeName}')");
                var key = reference.String("key") is { Length: > 0 } k ? k : secretName;
                value = values.GetValueOrDefault(key)
                    ?? throw entry.Error("secretKeyRef", $"component '{componentName}': secret '{secretName}' in {secretsFile} (secret store '{storeName}') has no key '{key}'");
            }
            var index = components.FindIndex(c => c.Name == componentName);
            var target = components[index];
            var metadata = new Dictionary<string, string>(target.Metadata, StringComparer.OrdinalIgnoreCase)
            {
                [entry.RequiredString("name")] = value,
            };
            components[index] = target with { Metadata = metadata };
        }
        return components;
    }

    private static SubscriptionSpec ParseSubscription(YamlMap doc)
    {
        var apiVersion = doc.String("apiVersion");
        if (apiVersion is not ("dapr.io/v1alpha1" or "dapr.io/v2alpha1"))
            throw doc.Error("apiVersion", $"'{apiVersion}' is not a Subscription version (dapr.io/v1alpha1, dapr.io/v2alpha1)");
        var name = doc.Map("metadata")?.String("name") ?? "(unnamed)";
        var spec = doc.Map("spec") ?? throw doc.Error("spec", $"subscription '{name}' has no spec");
        var pubsub = spec.RequiredString("pubsubname");
        var topic = spec.RequiredString("topic");
        string? defaultPath;
        var rules = new List<SubscriptionRule>();
        if (apiVersion == "dapr.io/v1alpha1")
        {
            defaultPath = spec.RequiredString("route");
        }
        else
        {
            var routes = spec.Map("routes") ?? throw spec.Error("routes", $"subscription '{name}' needs routes (rules and/or default)");
            defaultPath = routes.String("default");
            foreach (var rule in routes.Maps("rules"))
                rules.Add(new SubscriptionRule(rule.RequiredString("match"), rule.RequiredString("path")));
            if (defaultPath is null && rules.Count == 0)
                throw spec.Error("routes", $"subscription '{name}' needs routes.rules or routes.default");
        }
        return new SubscriptionSpec(SubscriptionKind.Declarative, pubsub, topic, defaultPath, rules,
            spec.String("deadLetterTopic"), spec.StringMap("metadata") ?? new Dictionary<string, string>(),
            doc.StringList("scopes") ?? [], doc.File);
    }

    private static ResiliencyDocument ParseResiliency(YamlMap doc)
    {
        CheckApiVersion(doc, "dapr.io/v1alpha1");
        var name = doc.Map("metadata")?.String("name") ?? "(unnamed)";
        var spec = doc.Map("spec") ?? throw doc.Error("spec", $"resiliency '{name}' has no spec");
        var policies = spec.Map("policies");

        var timeouts = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        if (policies?.Map("timeouts") is { } timeoutMap)
            foreach (var key in timeoutMap.Keys) timeouts[key] = timeoutMap.Duration(key) ?? throw timeoutMap.Error(key, "is empty");

        var retries = new Dictionary<string, RetryPolicy>(StringComparer.Ordinal);
        if (policies?.Map("retries") is { } retryMap)
        {
            foreach (var key in retryMap.Keys)
            {
                var r = retryMap.Map(key) ?? throw retryMap.Error(key, "is empty");
                var kind = r.String("policy") ?? "constant";
                var backoff = kind switch
                {
                    "constant" => RetryBackoff.Constant,
                    "exponential" => RetryBackoff.Exponential,
                    _ => throw r.Error("policy", $"'{kind}' is not constant or exponential"),
                };
                retries[key] = new RetryPolicy(key, backoff, r.Duration("duration") ?? TimeSpan.FromSeconds(5),
                    r.Duration("maxInterval") ?? TimeSpan.FromSeconds(60), r.Int("maxRetries") ?? -1);
            }
        }

        var breakers = new Dictionary<string, CircuitBreakerPolicy>(StringComparer.Ordinal);
        if (policies?.Map("circuitBreakers") is { } breakerMap)
        {
            foreach (var key in breakerMap.Keys)
            {
                var b = breakerMap.Map(key) ?? throw breakerMap.Error(key, "is empty");
                var tripText = b.String("trip") ?? throw b.Error("trip", "is required (e.g. consecutiveFailures >= 5)");
                var trip = TripCondition.Parse(tripText, out var problem) ?? throw b.Error("trip", problem!);
                var maxRequests = b.Int("maxRequests") ?? 1;
                if (maxRequests < 1) throw b.Error("maxRequests", "must be at least 1");
                breakers[key] = new CircuitBreakerPolicy(key, maxRequests, b.Duration("interval") ?? TimeSpan.Zero,
                    b.Duration("timeout") ?? TimeSpan.FromSeconds(60), trip);
            }
        }

        TargetPolicies Target(YamlMap target)
        {
            RetryPolicy? retry = null;
            TimeSpan? timeout = null;
            CircuitBreaker? breaker = null;
            // Each target gets its own breaker: its failures trip only it, as in daprd.
            if (target.String("circuitBreaker") is { Length: > 0 } breakerName)
                breaker = new CircuitBreaker(breakers.GetValueOrDefault(breakerName)
                    ?? throw target.Error("circuitBreaker", $"no circuit breaker named '{breakerName}' in spec.policies.circuitBreakers"), TimeProvider.System);
            if (target.String("retry") is { Length: > 0 } retryName)
                retry = retries.GetValueOrDefault(retryName) ?? throw target.Error("retry", $"no retry policy named '{retryName}' in spec.policies.retries");
            if (target.String("timeout") is { Length: > 0 } timeoutName)
            {
                if (timeouts.TryGetValue(timeoutName, out var named)) timeout = named;
                else if (GoDuration.TryParse(timeoutName, out var inline)) timeout = inline;
                else throw target.Error("timeout", $"no timeout policy named '{timeoutName}' in spec.policies.timeouts");
            }
            return new TargetPolicies(retry, timeout, breaker);
        }

        var targets = spec.Map("targets");
        Dictionary<string, TargetPolicies> Read(YamlMap? map)
        {
            var result = new Dictionary<string, TargetPolicies>(StringComparer.Ordinal);
            if (map is null) return result;
            foreach (var key in map.Keys) result[key] = Target(map.Map(key) ?? throw map.Error(key, "is empty"));
            return result;
        }

        var inbound = new Dictionary<string, TargetPolicies>(StringComparer.Ordinal);
        var outbound = new Dictionary<string, TargetPolicies>(StringComparer.Ordinal);
        if (targets?.Map("components") is { } componentMap)
        {
            foreach (var key in componentMap.Keys)
            {
                var component = componentMap.Map(key) ?? throw componentMap.Error(key, "is empty");
                if (component.Map("inbound") is { } i) inbound[key] = Target(i);
                if (component.Map("outbound") is { } o) outbound[key] = Target(o);
            }
        }
        var resiliency = new ResiliencySpec(inbound, outbound, Read(targets?.Map("apps")), Read(targets?.Map("actors")));
        return new ResiliencyDocument(name, doc.StringList("scopes") ?? [], resiliency, doc.File);
    }

    private static DaprConfiguration ParseConfiguration(YamlMap doc)
    {
        var name = doc.Map("metadata")?.String("name") ?? "(unnamed)";
        var spec = doc.Map("spec");
        var sampling = 0.0001;
        if (spec?.Map("tracing") is { } tracing && tracing.String("samplingRate") is { Length: > 0 } rate)
        {
            if (!double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out sampling) || sampling is < 0 or > 1)
                throw tracing.Error("samplingRate", $"'{rate}' is not a number between 0 and 1");
        }
        var features = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var feature in spec?.Maps("features") ?? [])
            features[feature.RequiredString("name")] = feature.Bool("enabled") ?? false;

        AccessControlSpec? accessControl = null;
        if (spec?.Map("accessControl") is { } acl)
        {
            var policies = acl.Maps("policies").Select(p => new AccessControlSpec.AppPolicy(
                // Older configurations name the caller with 'app' instead of 'appId'.
                p.String("appId") is { Length: > 0 } policyApp ? policyApp
                    : p.String("app") is { Length: > 0 } legacyApp ? legacyApp : throw p.Error("appId", "is required"),
                Action(p, "defaultAction", Action(acl, "defaultAction", true)),
                p.Maps("operations").Select(o => new AccessControlSpec.Operation(
                    o.RequiredString("name"), o.StringList("httpVerb") ?? [], Action(o, "action", true))).ToList())).ToList();
            accessControl = new AccessControlSpec(Action(acl, "defaultAction", true), policies);
        }
        return new DaprConfiguration(name, doc.File, sampling, features, accessControl);
    }

    private static bool Action(YamlMap map, string key, bool fallback) =>
        map.String(key) switch
        {
            null or "" => fallback,
            var a when a.Equals("allow", StringComparison.OrdinalIgnoreCase) => true,
            var a when a.Equals("deny", StringComparison.OrdinalIgnoreCase) => false,
            var a => throw map.Error(key, $"'{a}' is not allow or deny"),
        };

    private static void CheckApiVersion(YamlMap doc, string expected)
    {
        var apiVersion = doc.String("apiVersion");
        if (apiVersion != expected)
            throw doc.Error("apiVersion", apiVersion is null ? $"is required ({expected})" : $"'{apiVersion}' is not {expected}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipping document {Index} of {File}: kind '{Kind}' is not loaded by the local runtime")]
    private static partial void SkippedKind(ILogger logger, string file, int index, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipping {File}: namespace '{ManifestNamespace}' is not NAMESPACE '{Namespace}'")]
    private static partial void SkippedNamespace(ILogger logger, string file, string manifestNamespace, string @namespace);
}
