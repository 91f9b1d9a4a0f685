namespace DaprIoT.Dapr.PubSub;

internal sealed record DeclaredSubscription(
    string PubSubName,
    string Topic,
    string Route,
    IReadOnlyList<(string Match, string Path)> Rules,
    IReadOnlyDictionary<string, string> Metadata,
    string? DeadLetterTopic);
