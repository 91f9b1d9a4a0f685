using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DaprIoT.Deployment.Tests.Rendering;

namespace DaprIoT.Deployment.Tests.Policies;

/// <summary>Dapr components and secrets: scoped, the same as ./run.sh's, and no secret in the repository.</summary>
public sealed partial class ComponentPolicyTests
{
    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_component_is_scoped_to_deployed_app_ids(string overlay)
    {
        var platform = new Platform(overlay);
        var appIds = platform.AppIds.ToHashSet();
        var problems = new List<string>();
        foreach (var c in platform.All.Where(m => m.IsDapr && m.Kind is "Component" or "Subscription"))
        {
            var scopes = (c.Object["scopes"] as JsonArray ?? []).Select(s => s?.ToString() ?? "").ToList();
            if (scopes.Count == 0) problems.Add(c.At("scopes", "missing: without scopes every app's sidecar loads it"));
            foreach (var scope in scopes.Where(s => !appIds.Contains(s)))
                problems.Add(c.At("scopes", $"'{scope}' is not the app id of a rendered Deployment ({string.Join(", ", appIds.Order())})"));
        }
        PolicyAssert.None(problems);
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_component_matches_by_name_and_type_the_one_run_sh_uses(string overlay)
    {
        var platform = new Platform(overlay);
        var bus = LocalComponents.BusFolderFor(platform);
        var local = LocalComponents.Documents(Path.Combine(LocalComponents.Folder, "common"), bus)
            .Where(d => d["kind"]?.ToString() == "Component")
            .ToDictionary(d => d["metadata"]!["name"]!.ToString());
        var rendered = platform.Components.ToDictionary(c => c.Name);
        var problems = new List<string>();
        foreach (var (name, c) in rendered)
        {
            if (!local.TryGetValue(name, out var l))
            {
                if (!PendingEntries.Components.Contains(name))
                    problems.Add(c.At("metadata.name", $"no component '{name}' in components/common or {Repository.Relative(bus)}"));
                continue;
            }
            var type = l["spec"]?["type"]?.ToString() ?? "";
            if (c.Spec?["type"]?.ToString() != LocalComponents.KubernetesType(type))
                problems.Add(c.At("spec.type", $"'{c.Spec?["type"]}', but {l["source"]} has {type} (on Kubernetes: {LocalComponents.KubernetesType(type)})"));
            if (c.Spec?["version"]?.ToString() != l["spec"]?["version"]?.ToString())
                problems.Add(c.At("spec.version", $"'{c.Spec?["version"]}', but {l["source"]} has {l["spec"]?["version"]}"));
            var localScopes = (l["scopes"] as JsonArray ?? []).Select(s => s!.ToString()).Order().ToList();
            var scopes = (c.Object["scopes"] as JsonArray ?? []).Select(s => s!.ToString()).Order().ToList();
            if (localScopes.Count > 0 && !localScopes.SequenceEqual(scopes))
                problems.Add(c.At("scopes", $"[{string.Join(", ", scopes)}], but {l["source"]} scopes it to [{string.Join(", ", localScopes)}]"));
        }
        foreach (var (name, l) in local.Where(l => !rendered.ContainsKey(l.Key)))
            problems.Add($"{l["source"]}: component {name} has no counterpart in overlay {overlay}");
        PolicyAssert.None(problems);
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void No_secret_is_committed(string overlay)
    {
        var platform = new Platform(overlay);
        var problems = new List<string>();
        foreach (var s in platform.OfKind("Secret"))
            foreach (var field in new[] { "data", "stringData" })
                if (s.Object[field] is JsonObject { Count: > 0 }) problems.Add(s.At(field, "holds secret values: create the Secret in the cluster instead"));
        foreach (var c in platform.All.Where(m => m.IsDapr))
            foreach (var (entry, i) in Manifest.Objects(c.Spec?["metadata"]).Select((e, i) => (e, i)))
                if (Sensitive().IsMatch(entry["name"]?.ToString() ?? "") && entry["value"] is not null)
                    problems.Add(c.At($"spec.metadata[{i}] ({entry["name"]})", "a credential given as a value: use secretKeyRef"));
        foreach (var d in platform.Deployments)
            foreach (var c in Platform.Containers(d))
                foreach (var env in Manifest.Objects(c["env"]))
                    if (Sensitive().IsMatch(env["name"]?.ToString() ?? "") && env["value"] is not null)
                        problems.Add(d.At($"container {c["name"]} env[{env["name"]}]", "a credential given as a value: use valueFrom.secretKeyRef"));
        PolicyAssert.None(problems);
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Secrets_are_read_through_secret_stores_the_apps_may_read(string overlay)
    {
        var platform = new Platform(overlay);
        var stores = platform.Components.Where(c => c.Spec?["type"]?.ToString().StartsWith("secretstores.", StringComparison.Ordinal) == true).ToDictionary(c => c.Name);
        var problems = new List<string>();
        // What each app reads: the secretKeyRefs of its components, and auth's signing key (services/Auth, AuthOptions).
        var reads = new List<(Manifest Source, string App, string Store, string Secret)>();
        foreach (var c in platform.Components)
        {
            var store = c.Object["auth"]?["secretStore"]?.ToString();
            foreach (var entry in Manifest.Objects(c.Spec?["metadata"]).Where(e => e["secretKeyRef"] is not null))
            {
                var secret = entry["secretKeyRef"]!["name"]!.ToString();
                // Without auth.secretStore the Dapr operator resolves the reference itself from the namespace's Secrets.
                if (store is null) continue;
                foreach (var app in (c.Object["scopes"] as JsonArray ?? []).Select(s => s!.ToString()))
                    reads.Add((c, app, store, secret));
            }
        }
        if (platform.DeploymentFor("auth") is { } auth) reads.Add((auth, "auth", "auth-secrets", "auth-signing-key"));
        foreach (var (source, app, storeName, secret) in reads)
        {
            if (!stores.TryGetValue(storeName, out var store)) { problems.Add(source.At("auth.secretStore", $"'{storeName}' is not a rendered secret store")); continue; }
            var scopes = (store.Object["scopes"] as JsonArray ?? []).Select(s => s!.ToString()).ToList();
            if (!scopes.Contains(app)) problems.Add(store.At("scopes", $"app {app} reads secret {secret} through it, but is not in its scopes"));
            if (store.Spec?["type"]?.ToString() == "secretstores.kubernetes" && !MayGetSecret(platform, app, secret))
                problems.Add(source.At("(secret " + secret + ")", $"app {app}'s ServiceAccount may not get Secret {secret}: add it to a Role bound to it"));
        }
        PolicyAssert.None(problems);
    }

    /// <summary>Whether a RoleBinding gives the app's ServiceAccount a Role allowing get on that Secret.</summary>
    private static bool MayGetSecret(Platform platform, string appId, string secret)
    {
        var account = platform.DeploymentFor(appId)?.PodSpec?["serviceAccountName"]?.ToString() ?? "default";
        var roles = platform.OfKind("Role").ToDictionary(r => r.Name);
        return platform.OfKind("RoleBinding")
            .Where(b => Manifest.Objects(b.Object["subjects"]).Any(s => s["kind"]?.ToString() == "ServiceAccount" && s["name"]?.ToString() == account))
            .Select(b => b.Object["roleRef"]?["kind"]?.ToString() == "Role" ? roles.GetValueOrDefault(b.Object["roleRef"]?["name"]?.ToString() ?? "") : null)
            .OfType<Manifest>()
            .SelectMany(r => Manifest.Objects(r.Object["rules"]))
            .Any(rule => Has(rule["apiGroups"], "") && Has(rule["resources"], "secrets") && Has(rule["verbs"], "get")
                && (rule["resourceNames"] is not JsonArray names || names.Any(n => n?.ToString() == secret)));

        static bool Has(JsonNode? list, string value) => (list as JsonArray ?? []).Any(x => x?.ToString() == value || x?.ToString() == "*");
    }

    [Fact]
    public void Every_secret_the_overlays_name_is_in_the_readme()
    {
        // The README's Kubernetes section is where an operator learns which Secrets to create before applying.
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var section = readme.IndexOf("## Kubernetes", StringComparison.Ordinal) is var at and >= 0 ? readme[at..] : "";
        Assert.False(section.Length == 0, "README.md has no '## Kubernetes' section");
        var problems = new List<string>();
        foreach (var overlay in Overlays.Names)
        {
            var platform = new Platform(overlay);
            foreach (var (source, secret) in SecretNames(platform))
                if (!section.Contains($"`{secret}`", StringComparison.Ordinal))
                    problems.Add($"{source}: Secret {secret} is not named (as `{secret}`) in README.md's Kubernetes section");
        }
        PolicyAssert.None(problems.Distinct());
    }

    /// <summary>Every Kubernetes Secret a rendered object reads.</summary>
    private static IEnumerable<(Manifest Source, string Secret)> SecretNames(Platform platform)
    {
        foreach (var d in platform.Deployments)
        {
            if (d.PodAnnotations.GetValueOrDefault("dapr.io/api-token-secret") is { } token) yield return (d, token);
            foreach (var c in Platform.Containers(d))
                foreach (var env in Manifest.Objects(c["env"]))
                    if (env["valueFrom"]?["secretKeyRef"]?["name"]?.ToString() is { } name) yield return (d, name);
            foreach (var v in Manifest.Objects(d.PodSpec?["volumes"]))
                if (v["secret"]?["secretName"]?.ToString() is { } name) yield return (d, name);
        }
        foreach (var c in platform.Components)
            foreach (var entry in Manifest.Objects(c.Spec?["metadata"]))
                if (entry["secretKeyRef"]?["name"]?.ToString() is { } name) yield return (c, name);
        foreach (var r in platform.OfKind("Role"))
            foreach (var rule in Manifest.Objects(r.Object["rules"]))
                foreach (var name in (rule["resourceNames"] as JsonArray ?? []).Select(n => n!.ToString()))
                    yield return (r, name);
    }

    [GeneratedRegex("password|passwd|secret|token|connectionString|^url$|credential", RegexOptions.IgnoreCase)]
    private static partial Regex Sensitive();
}
