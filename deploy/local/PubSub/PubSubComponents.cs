using System.Diagnostics.CodeAnalysis;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.PubSub.Brokers;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>One loaded pub/sub component of a sidecar: its spec, its broker and its topic scoping for this app.</summary>
internal sealed record PubSubComponent(ComponentSpec Spec, IPubSubBroker Broker, TopicScopes Scopes);

/// <summary>The pub/sub components visible to one sidecar, each with its own broker (daprd initialises components per sidecar).</summary>
internal sealed class PubSubComponents : IAsyncDisposable
{
    private readonly Dictionary<string, PubSubComponent> _byName = new(StringComparer.Ordinal);

    public PubSubComponents(SidecarContext sidecar, ILogger logger)
    {
        foreach (var spec in sidecar.Components.Where(c => c.Kind == "pubsub"))
        {
            try
            {
                _byName[spec.Name] = new PubSubComponent(spec, PubSubBrokerFactory.Create(spec, sidecar, logger), new TopicScopes(spec, sidecar.AppId));
            }
            catch (Exception e) when (spec.IgnoreErrors)
            {
                PubSubLog.ComponentIgnored(logger, spec.Name, e.Message);
            }
        }
    }

    public int Count => _byName.Count;

    public IEnumerable<PubSubComponent> All => _byName.Values;

    public bool TryGet(string name, [NotNullWhen(true)] out PubSubComponent? component) => _byName.TryGetValue(name, out component);

    public async ValueTask DisposeAsync()
    {
        foreach (var component in _byName.Values) await component.Broker.DisposeAsync();
    }
}
