using DaprIoT.LocalRuntime.Components;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// The topic scoping a pub/sub component declares for one app (<c>publishingScopes</c>, <c>subscriptionScopes</c>,
/// <c>allowedTopics</c>, <c>protectedTopics</c>), applied as daprd's <c>IsOperationAllowed</c> does.
/// </summary>
public sealed class TopicScopes
{
    private readonly IReadOnlyList<string> _allowed;
    private readonly IReadOnlyList<string> _protected;
    private readonly IReadOnlyList<string> _publishing;
    private readonly IReadOnlyList<string> _subscribing;

    public TopicScopes(ComponentSpec component, string appId)
    {
        _allowed = List(component.GetString("allowedTopics"));
        _protected = List(component.GetString("protectedTopics"));
        _publishing = ScopedTopics(component.GetString("publishingScopes"), appId);
        _subscribing = ScopedTopics(component.GetString("subscriptionScopes"), appId);
    }

    public bool MayPublish(string topic) => IsAllowed(topic, _publishing);

    public bool MaySubscribe(string topic) => IsAllowed(topic, _subscribing);

    private bool IsAllowed(string topic, IReadOnlyList<string> scoped)
    {
        if (_allowed.Count > 0 && !_allowed.Contains(topic)) return false;
        // A protected topic needs an explicit grant in the app's scope.
        if (scoped.Count == 0) return !_protected.Contains(topic);
        return scoped.Contains(topic);
    }

    /// <summary>
    /// The topics granted to <paramref name="appId"/> by <c>app1=t1,t2;app2=</c>. An app listed with nothing after
    /// <c>=</c> gets the single topic "", which matches nothing: that is how daprd denies every topic.
    /// </summary>
    private static List<string> ScopedTopics(string? scopes, string appId)
    {
        var topics = new List<string>();
        if (scopes is null) return topics;
        foreach (var entry in scopes.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('=', 2);
            if (parts.Length == 2 && parts[0].Trim() == appId)
                topics.AddRange(parts[1].Split(',').Select(t => t.Trim()));
        }
        return topics;
    }

    private static List<string> List(string? value) =>
        value is null ? [] : [.. value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
}
