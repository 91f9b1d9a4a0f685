namespace DaprIoT.ConformanceApp;

public sealed record SubscriptionSetting(string PubSubName, string Topic, string? DeadLetterTopic, bool RawPayload);
