namespace DaprIoT.ConformanceApp;

/// <summary>One SUBSCRIPTIONS entry: <see cref="RawPayload"/> asks for rawPayload=true, <see cref="Bulk"/> for bulk delivery.</summary>
public sealed record SubscriptionSetting(string PubSubName, string Topic, string? DeadLetterTopic, bool RawPayload, bool Bulk)
{
    public IReadOnlyList<SubscriptionRuleSetting> Rules { get; init; } = [];
}
