using System.Runtime.CompilerServices;

namespace DaprIoT.Dapr.PubSub;

/// <summary>The programmatic subscriptions declared by one app; <c>GET /dapr/subscribe</c> answers from it.</summary>
internal sealed class SubscriptionRegistry
{
    private static readonly ConditionalWeakTable<IServiceProvider, SubscriptionRegistry> Registries = new();
    private readonly List<DeclaredSubscription> _subscriptions = [];
    private readonly Lock _gate = new();

    private bool _endpointMapped;

    /// <summary>One registry per application (keyed by its root service provider), so route groups share it.</summary>
    public static SubscriptionRegistry For(IServiceProvider services) => Registries.GetValue(services, _ => new SubscriptionRegistry());

    /// <summary>True exactly once: for the caller that should map <c>GET /dapr/subscribe</c>.</summary>
    public bool ClaimSubscribeEndpoint()
    {
        lock (_gate)
        {
            var first = !_endpointMapped;
            _endpointMapped = true;
            return first;
        }
    }

    public void Add(DeclaredSubscription subscription)
    {
        lock (_gate)
        {
            if (_subscriptions.Any(existing => existing.PubSubName == subscription.PubSubName && existing.Topic == subscription.Topic))
            {
                throw new InvalidOperationException(
                    $"Topic '{subscription.Topic}' on '{subscription.PubSubName}' already has a handler. Dapr allows one subscription per topic " +
                    "and app; route different events of the topic with TopicHandlerOptions.Rules instead.");
            }

            _subscriptions.Add(subscription);
        }
    }

    public IReadOnlyList<DeclaredSubscription> Snapshot()
    {
        lock (_gate)
        {
            return [.. _subscriptions];
        }
    }

    /// <summary>The exact <c>/dapr/subscribe</c> array (v2 <c>routes</c> form, with <c>route</c> for older sidecars).</summary>
    public IReadOnlyList<Dictionary<string, object>> ToWire() => Snapshot().Select(subscription =>
    {
        var routes = new Dictionary<string, object>();
        if (subscription.Rules.Count > 0)
        {
            routes["rules"] = subscription.Rules.Select(rule => new Dictionary<string, string> { ["match"] = rule.Match, ["path"] = rule.Path }).ToList();
        }

        routes["default"] = subscription.Route;
        var entry = new Dictionary<string, object>
        {
            ["pubsubname"] = subscription.PubSubName,
            ["topic"] = subscription.Topic,
            ["route"] = subscription.Route,
            ["routes"] = routes,
        };
        if (subscription.Metadata.Count > 0)
        {
            entry["metadata"] = subscription.Metadata;
        }

        if (subscription.DeadLetterTopic is not null)
        {
            entry["deadLetterTopic"] = subscription.DeadLetterTopic;
        }

        return entry;
    }).ToList();
}
