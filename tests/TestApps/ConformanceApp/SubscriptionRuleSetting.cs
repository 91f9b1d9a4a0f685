using System.Text.Json.Serialization;

namespace DaprIoT.ConformanceApp;

/// <summary>A routing rule from SUBSCRIPTION_RULES for one of the SUBSCRIPTIONS.</summary>
public sealed record SubscriptionRuleSetting(
    [property: JsonPropertyName("pubsubname")] string PubSubName,
    string Topic,
    string Match,
    string Path);
