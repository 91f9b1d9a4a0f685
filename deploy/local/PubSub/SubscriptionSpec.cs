namespace DaprIoT.LocalRuntime.PubSub;

public enum SubscriptionKind { Declarative, Programmatic }

/// <summary>A routing rule: deliver to <see cref="Path"/> when the CEL expression <see cref="Match"/> holds.</summary>
public sealed record SubscriptionRule(string Match, string Path);

/// <summary>
/// One topic subscription of an app, whether declared in YAML (<c>Subscription</c> v1alpha1/v2alpha1) or
/// returned by the app's <c>GET /dapr/subscribe</c>. <see cref="DefaultPath"/> is the route used when no
/// rule matches; null means the message is dropped (daprd's behaviour when nothing matches).
/// </summary>
public sealed record SubscriptionSpec(
    SubscriptionKind Kind,
    string PubsubName,
    string Topic,
    string? DefaultPath,
    IReadOnlyList<SubscriptionRule> Rules,
    string? DeadLetterTopic,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<string> Scopes,
    string Source)
{
    /// <summary>Whether the app wants raw payloads (<c>metadata.rawPayload: "true"</c>).</summary>
    public bool RawPayload =>
        Metadata.TryGetValue("rawPayload", out var raw) && GoBool.TryParse(raw, out var value) && value;

    /// <summary>Whether the app asked for <c>bulkSubscribe.enabled: true</c>: events then arrive in batches.</summary>
    public bool BulkSubscribeEnabled { get; init; }

    /// <summary><c>bulkSubscribe.maxMessagesCount</c>: a batch is sent once it holds this many events.</summary>
    public int BulkMaxMessagesCount { get; init; } = 100;

    /// <summary><c>bulkSubscribe.maxAwaitDurationMs</c>: a batch is sent at the latest this long after its first event.</summary>
    public int BulkMaxAwaitDurationMs { get; init; } = 1000;
}
