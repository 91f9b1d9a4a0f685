using System.Text.Json;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// The actor part of an app's <c>GET /dapr/config</c> answer: the hosted types and their settings.
/// <c>actorScanInterval</c> and <c>remindersStoragePartitions</c> are accepted and ignored, as daprd ≥1.14 does
/// (idle actors are deactivated by a per-actor deadline, and reminders use one key per type).
/// Unusable values are reported in <see cref="Problems"/> and replaced by the default, never fatal.
/// </summary>
internal sealed record ActorHostConfig(IReadOnlyDictionary<string, ActorTypeSettings> Types, IReadOnlyList<string> Problems)
{
    public static ActorHostConfig Empty { get; } = new(new Dictionary<string, ActorTypeSettings>(), []);

    public static ActorHostConfig Parse(JsonElement? config)
    {
        if (config is not { ValueKind: JsonValueKind.Object } root) return Empty;
        var problems = new List<string>();
        var defaults = Read(root, ActorTypeSettings.Default, "", problems);

        var types = new Dictionary<string, ActorTypeSettings>(StringComparer.Ordinal);
        foreach (var type in Strings(root, "entities", "entities", problems))
            types[type] = defaults;

        if (root.TryGetProperty("entitiesConfig", out var overrides) && overrides.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var entry in overrides.EnumerateArray())
            {
                var at = $"entitiesConfig[{index++}]";
                if (entry.ValueKind != JsonValueKind.Object) { problems.Add($"{at} is not an object"); continue; }
                var settings = Read(entry, defaults, at + ".", problems);
                foreach (var type in Strings(entry, "entities", at + ".entities", problems))
                {
                    if (types.ContainsKey(type)) types[type] = settings;
                    else problems.Add($"{at}.entities names '{type}', which is not in the top-level entities");
                }
            }
        }
        return new ActorHostConfig(types, problems);
    }

    private static ActorTypeSettings Read(JsonElement element, ActorTypeSettings fallback, string at, List<string> problems)
    {
        var settings = fallback with
        {
            IdleTimeout = Duration(element, "actorIdleTimeout", fallback.IdleTimeout, at, problems),
            DrainOngoingCallTimeout = Duration(element, "drainOngoingCallTimeout", fallback.DrainOngoingCallTimeout, at, problems),
        };
        if (element.TryGetProperty("drainRebalancedActors", out var drain))
        {
            if (drain.ValueKind is JsonValueKind.True or JsonValueKind.False) settings = settings with { DrainRebalancedActors = drain.GetBoolean() };
            else problems.Add($"{at}drainRebalancedActors is not true or false");
        }
        if (element.TryGetProperty("reentrancy", out var reentrancy) && reentrancy.ValueKind == JsonValueKind.Object)
        {
            if (reentrancy.TryGetProperty("enabled", out var enabled) && enabled.ValueKind is JsonValueKind.True or JsonValueKind.False)
                settings = settings with { ReentrancyEnabled = enabled.GetBoolean() };
            if (reentrancy.TryGetProperty("maxStackDepth", out var depth))
            {
                if (depth.ValueKind == JsonValueKind.Number && depth.TryGetInt32(out var max) && max > 0)
                    settings = settings with { MaxStackDepth = max };
                else problems.Add($"{at}reentrancy.maxStackDepth is not a positive whole number");
            }
        }
        return settings;
    }

    private static TimeSpan Duration(JsonElement element, string name, TimeSpan fallback, string at, List<string> problems)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return fallback;
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (string.IsNullOrEmpty(text)) return fallback;
        if (DaprTime.TryParseGo(text, out var duration) && duration > TimeSpan.Zero) return duration;
        problems.Add($"{at}{name} '{text}' is not a positive Go duration such as 30s or 1h");
        return fallback;
    }

    private static IEnumerable<string> Strings(JsonElement element, string name, string at, List<string> problems)
    {
        if (!element.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null) return [];
        if (array.ValueKind != JsonValueKind.Array) { problems.Add($"{at} is not an array of actor type names"); return []; }
        var names = new List<string>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(item.GetString())) names.Add(item.GetString()!);
            else problems.Add($"{at} contains {item.GetRawText()}, which is not an actor type name");
        }
        return names;
    }
}
