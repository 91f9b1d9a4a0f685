namespace DaprIoT.ConformanceApp;

public sealed record SubscriptionSetting(string PubSubName, string Topic, string? DeadLetterTopic, bool RawPayload)
{
    public IReadOnlyList<SubscriptionRuleSetting> Rules { get; init; } = [];
}
