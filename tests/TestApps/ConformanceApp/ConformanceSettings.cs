using System.Globalization;
using System.Text.Json;

namespace DaprIoT.ConformanceApp;

/// <summary>The app's behaviour, read once from environment variables (see Program.cs for the reference).</summary>
public sealed record ConformanceSettings(
    int AppPort,
    string Instance,
    IReadOnlyList<SubscriptionSetting> Subscriptions,
    IReadOnlyList<string> Bindings,
    bool Actors,
    TimeSpan? ActorIdleTimeout,
    bool RequiresAppToken,
    bool WaitForSidecar)
{
    public static ConformanceSettings Read(IConfiguration configuration)
    {
        var portText = configuration["APP_PORT"];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new InvalidOperationException($"APP_PORT must be a TCP port number (1-65535), but it is '{portText ?? "(unset)"}'. The runtime sets it from appPort in dapr.yaml.");
        }

        var instance = configuration["INSTANCE_ID"] is { Length: > 0 } named ? named : $"{configuration["APP_ID"] ?? "app"}-{Environment.ProcessId}";
        var actors = Flag(configuration, "ACTORS");
        TimeSpan? idle = null;
        if (configuration["ACTOR_IDLE_TIMEOUT_SECONDS"] is { Length: > 0 } idleText)
        {
            idle = double.TryParse(idleText, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : throw new InvalidOperationException($"ACTOR_IDLE_TIMEOUT_SECONDS must be a positive number of seconds, but it is '{idleText}'.");
        }

        var subscriptions = WithRules(ParseSubscriptions(configuration["SUBSCRIPTIONS"]), configuration["SUBSCRIPTION_RULES"]);
        return new ConformanceSettings(port, instance, subscriptions, ParseList(configuration["BINDINGS"]), actors, idle,
            RequiresAppToken: !string.IsNullOrWhiteSpace(configuration["APP_API_TOKEN"]), WaitForSidecar: Flag(configuration, "WAIT_FOR_SIDECAR"));
    }

    private static bool Flag(IConfiguration configuration, string name) => configuration[name] switch
    {
        null or "" => false,
        var text => bool.TryParse(text, out var value) ? value : throw new InvalidOperationException($"{name} must be true or false, but it is '{text}'."),
    };

    /// <summary><c>pubsub:topic[:deadLetterTopic][:raw|:bulk]</c> entries separated by <c>;</c>.</summary>
    private static List<SubscriptionSetting> ParseSubscriptions(string? text)
    {
        var result = new List<SubscriptionSetting>();
        foreach (var entry in ParseList(text))
        {
            var parts = entry.Split(':').ToList();
            var flag = parts.Count > 2 && parts[^1] is "raw" or "bulk" ? parts[^1] : null;
            if (flag is not null)
            {
                parts.RemoveAt(parts.Count - 1);
            }

            if (parts.Count is < 2 or > 3 || parts.Any(part => part.Length == 0 && parts.IndexOf(part) < 2))
            {
                throw new InvalidOperationException(
                    $"SUBSCRIPTIONS entry '{entry}' is not 'pubsub:topic[:deadLetterTopic][:raw|:bulk]' (entries are separated by ';').");
            }

            result.Add(new SubscriptionSetting(parts[0], parts[1], parts.Count == 3 && parts[2].Length > 0 ? parts[2] : null,
                RawPayload: flag == "raw", Bulk: flag == "bulk"));
        }

        return result;
    }

    /// <summary>SUBSCRIPTION_RULES: a JSON array of <c>{"pubsubname","topic","match","path"}</c> attached to SUBSCRIPTIONS entries.</summary>
    private static List<SubscriptionSetting> WithRules(List<SubscriptionSetting> subscriptions, string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return subscriptions;
        }

        List<SubscriptionRuleSetting> rules;
        try
        {
            rules = JsonSerializer.Deserialize<List<SubscriptionRuleSetting>>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? [];
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"SUBSCRIPTION_RULES must be a JSON array of {{\"pubsubname\",\"topic\",\"match\",\"path\"}}: {ex.Message}", ex);
        }

        foreach (var rule in rules)
        {
            if (!subscriptions.Any(s => s.PubSubName == rule.PubSubName && s.Topic == rule.Topic))
            {
                throw new InvalidOperationException($"SUBSCRIPTION_RULES names {rule.PubSubName}:{rule.Topic}, which is not in SUBSCRIPTIONS.");
            }
        }

        return subscriptions.Select(s => s with { Rules = rules.Where(r => r.PubSubName == s.PubSubName && r.Topic == s.Topic).ToList() }).ToList();
    }

    private static List<string> ParseList(string? text) =>
        (text ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
