using System.Collections.Concurrent;

namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>
/// Runtime-wide record of the MQTT client ids in use. Brokers allow one connection per client id, so two
/// replicas sharing a <c>consumerID</c> knock each other off in a reconnect loop, exactly as under daprd. The
/// runtime lets that happen (it is what production would do) but says why, once, when it starts.
/// </summary>
public sealed class MqttClientIdRegistry
{
    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="owner"/> as using <paramref name="clientId"/>; returns the other owner already using it, if any.</summary>
    public string? Claim(string clientId, string owner)
    {
        var current = _owners.GetOrAdd(clientId, owner);
        return current == owner ? null : current;
    }

    public void Release(string clientId, string owner) =>
        _owners.TryRemove(new KeyValuePair<string, string>(clientId, owner));
}
