using System.Text.Json;
using DaprIoT.LocalRuntime.Configuration;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// Reads the app's <c>GET /dapr/subscribe</c> answer: a JSON array of daprd's <c>SubscriptionJSON</c>, v1
/// (<c>route</c>) or v2 (<c>routes.rules</c> + <c>routes.default</c>; the default wins over <c>route</c>).
/// </summary>
public static class ProgrammaticSubscriptions
{
    public const string Source = "GET /dapr/subscribe";

    /// <summary>Parses the answer; an element that is not a usable subscription fails with the field at fault.</summary>
    public static IReadOnlyList<SubscriptionSpec> Parse(JsonElement answer)
    {
        if (answer.ValueKind != JsonValueKind.Array)
            throw new ConfigurationException(Source, "(body)", $"expected a JSON array of subscriptions, got {answer.ValueKind}");
        var subscriptions = new List<SubscriptionSpec>();
        var index = 0;
        foreach (var item in answer.EnumerateArray())
        {
            var field = $"[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
                throw new ConfigurationException(Source, field, $"expected an object, got {item.ValueKind}");
            var pubsub = String(item, "pubsubname", field)
                ?? throw new ConfigurationException(Source, field + ".pubsubname", "is required");
            var topic = String(item, "topic", field)
                ?? throw new ConfigurationException(Source, field + ".topic", "is required");
            var defaultPath = String(item, "route", field);
            var rules = new List<SubscriptionRule>();
            if (TryGetField(item, "routes", out var routes) && routes.ValueKind == JsonValueKind.Object)
            {
                if (String(routes, "default", field + ".routes") is { } routesDefault) defaultPath = routesDefault;
                if (TryGetField(routes, "rules", out var ruleArray) && ruleArray.ValueKind == JsonValueKind.Array)
                {
                    var ruleIndex = 0;
                    foreach (var rule in ruleArray.EnumerateArray())
                    {
                        var ruleField = $"{field}.routes.rules[{ruleIndex++}]";
                        var path = String(rule, "path", ruleField)
                            ?? throw new ConfigurationException(Source, ruleField + ".path", "is required");
                        rules.Add(new SubscriptionRule(String(rule, "match", ruleField) ?? "", path));
                    }
                }
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (TryGetField(item, "metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
                foreach (var entry in meta.EnumerateObject())
                    metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
            var spec = new SubscriptionSpec(SubscriptionKind.Programmatic, pubsub, topic, defaultPath, rules,
                String(item, "deadLetterTopic", field), metadata, [], Source);
            if (TryGetField(item, "bulkSubscribe", out var bulk) && bulk.ValueKind == JsonValueKind.Object)
            {
                spec = spec with
                {
                    BulkSubscribeEnabled = TryGetField(bulk, "enabled", out var enabled) && enabled.ValueKind == JsonValueKind.True,
                    BulkMaxMessagesCount = Positive(bulk, "maxMessagesCount", field + ".bulkSubscribe") ?? spec.BulkMaxMessagesCount,
                    BulkMaxAwaitDurationMs = Positive(bulk, "maxAwaitDurationMs", field + ".bulkSubscribe") ?? spec.BulkMaxAwaitDurationMs,
                };
            }
            subscriptions.Add(spec);
        }
        return subscriptions;
    }

    /// <summary>
    /// daprd decodes this answer with Go's encoding/json, which matches field names case-insensitively (an exact match
    /// first): the .NET SDK writes <c>pubsubName</c>, other SDKs <c>pubsubname</c>.
    /// </summary>
    private static bool TryGetField(JsonElement element, string name, out JsonElement value)
    {
        if (element.TryGetProperty(name, out value)) return true;
        foreach (var property in element.EnumerateObject())
        {
            if (!string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) continue;
            value = property.Value;
            return true;
        }
        return false;
    }

    private static int? Positive(JsonElement element, string name, string field)
    {
        if (!TryGetField(element, name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number > 0
            ? number
            : throw new ConfigurationException(Source, $"{field}.{name}", $"expected a whole number above 0, got {value.GetRawText()}");
    }

    private static string? String(JsonElement element, string name, string field)
    {
        if (element.ValueKind != JsonValueKind.Object || !TryGetField(element, name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() is { Length: > 0 } text ? text : null,
            JsonValueKind.Null => null,
            _ => throw new ConfigurationException(Source, $"{field}.{name}", $"expected a string, got {value.ValueKind}"),
        };
    }
}
