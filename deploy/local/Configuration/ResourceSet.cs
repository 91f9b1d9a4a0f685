using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.PubSub;

namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>Everything loaded from one app's resource folders, before scoping to the app.</summary>
public sealed record ResourceSet(
    IReadOnlyList<ComponentSpec> Components,
    IReadOnlyList<SubscriptionSpec> Subscriptions,
    IReadOnlyList<ResiliencyDocument> Resiliencies,
    IReadOnlyList<DaprConfiguration> Configurations)
{
    public static ResourceSet Empty { get; } = new([], [], [], []);

    public IReadOnlyList<ComponentSpec> ComponentsFor(string appId) => Components.Where(c => c.IsVisibleTo(appId)).ToList();

    public IReadOnlyList<SubscriptionSpec> SubscriptionsFor(string appId) =>
        Subscriptions.Where(s => s.Scopes.Count == 0 || s.Scopes.Contains(appId)).ToList();

    public Resiliency.ResiliencySpec ResiliencyFor(string appId) =>
        ResiliencyDocument.Merge(Resiliencies.Where(r => r.IsVisibleTo(appId)));
}
