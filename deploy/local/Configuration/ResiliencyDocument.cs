using DaprIoT.LocalRuntime.Resiliency;

namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>One <c>Resiliency</c> resource: its policies applied to its targets, and the apps it is scoped to.</summary>
public sealed record ResiliencyDocument(string Name, IReadOnlyList<string> Scopes, ResiliencySpec Spec, string SourceFile)
{
    public bool IsVisibleTo(string appId) => Scopes.Count == 0 || Scopes.Contains(appId);

    /// <summary>Merges the documents an app sees; a later document's target wins over an earlier one's.</summary>
    public static ResiliencySpec Merge(IEnumerable<ResiliencyDocument> documents)
    {
        var inbound = new Dictionary<string, TargetPolicies>();
        var outbound = new Dictionary<string, TargetPolicies>();
        var apps = new Dictionary<string, TargetPolicies>();
        var actors = new Dictionary<string, TargetPolicies>();
        var any = false;
        foreach (var doc in documents)
        {
            any = true;
            foreach (var (k, v) in doc.Spec.ComponentInbound) inbound[k] = v;
            foreach (var (k, v) in doc.Spec.ComponentOutbound) outbound[k] = v;
            foreach (var (k, v) in doc.Spec.Apps) apps[k] = v;
            foreach (var (k, v) in doc.Spec.Actors) actors[k] = v;
        }
        return any ? new ResiliencySpec(inbound, outbound, apps, actors) : ResiliencySpec.Empty;
    }
}
