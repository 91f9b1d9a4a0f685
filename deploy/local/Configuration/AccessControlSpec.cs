namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>
/// Configuration <c>spec.accessControl</c>: which callers may invoke this app (callee side, §2). Operation names
/// may end in <c>/*</c> (one segment) or <c>/**</c> (any depth), as in daprd.
/// </summary>
public sealed record AccessControlSpec(bool DefaultAllow, IReadOnlyList<AccessControlSpec.AppPolicy> Policies)
{
    public sealed record Operation(string Name, IReadOnlyList<string> HttpVerbs, bool Allow);

    public sealed record AppPolicy(string AppId, bool DefaultAllow, IReadOnlyList<Operation> Operations);

    /// <summary>Whether <paramref name="callerAppId"/> may call <paramref name="method"/> with <paramref name="verb"/>.</summary>
    public bool IsAllowed(string? callerAppId, string verb, string method)
    {
        var policy = Policies.FirstOrDefault(p => p.AppId == callerAppId);
        if (policy is null) return DefaultAllow;
        var path = "/" + method.TrimStart('/');
        foreach (var operation in policy.Operations)
        {
            if (!Matches(operation.Name, path)) continue;
            if (operation.HttpVerbs.Count == 0 || operation.HttpVerbs.Any(v => v == "*" || string.Equals(v, verb, StringComparison.OrdinalIgnoreCase)))
                return operation.Allow;
        }
        return policy.DefaultAllow;
    }

    private static bool Matches(string pattern, string path)
    {
        pattern = "/" + pattern.TrimStart('/');
        if (pattern.EndsWith("/**", StringComparison.Ordinal))
            return path.StartsWith(pattern[..^2], StringComparison.Ordinal) || path == pattern[..^3];
        if (pattern.EndsWith("/*", StringComparison.Ordinal))
        {
            var prefix = pattern[..^1];
            return path.StartsWith(prefix, StringComparison.Ordinal) && !path[prefix.Length..].Contains('/');
        }
        return path == pattern;
    }
}
