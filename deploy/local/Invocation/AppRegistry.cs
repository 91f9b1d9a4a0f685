using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Invocation;

/// <summary>
/// Name resolution for service invocation: every sidecar by app id, with round-robin over an app's replicas
/// (self-hosted daprd resolves through mDNS and round-robins the same way).
/// </summary>
public sealed class AppRegistry
{
    private readonly Dictionary<string, List<SidecarHost>> _apps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _next = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Add(SidecarHost sidecar)
    {
        lock (_gate)
        {
            if (!_apps.TryGetValue(sidecar.AppId, out var list)) _apps[sidecar.AppId] = list = [];
            list.Add(sidecar);
        }
    }

    /// <summary>The next replica of <paramref name="appId"/> that accepts invocations, or null when none does (or the app is unknown).</summary>
    public SidecarHost? Pick(string appId, out bool known)
    {
        lock (_gate)
        {
            known = _apps.TryGetValue(appId, out var list);
            if (list is null) return null;
            var start = _next.GetValueOrDefault(appId);
            for (var i = 0; i < list.Count; i++)
            {
                var candidate = list[(start + i) % list.Count];
                if (!candidate.AcceptsInvocations) continue;
                _next[appId] = (start + i + 1) % list.Count;
                return candidate;
            }
            return null;
        }
    }
}
