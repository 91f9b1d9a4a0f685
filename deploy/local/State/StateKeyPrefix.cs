using DaprIoT.LocalRuntime.Components;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// How daprd turns an app's state key into a store key, by the component's <c>keyPrefix</c> metadata:
/// <c>appid</c> (default) <c>{appId}||key</c>, <c>name</c> <c>{component}||key</c>, <c>namespace</c>
/// <c>{namespace}.{appId}||key</c> (the app id alone without a namespace), <c>none</c> the key itself, anything
/// else that literal. daprd lower-cases the setting, custom literals included, and so do we.
/// </summary>
public sealed record StateKeyPrefix(string? Prefix)
{
    public const string Separator = "||";

    public static StateKeyPrefix For(ComponentSpec store, string appId, string? appNamespace)
    {
        var strategy = store.GetString("keyPrefix")?.ToLowerInvariant() ?? "appid";
        if (strategy.Contains(Separator, StringComparison.Ordinal))
            throw store.Invalid("keyPrefix", $"'{strategy}' must not contain '{Separator}'");
        return strategy switch
        {
            "appid" => new(appId),
            "name" => new(store.Name),
            "namespace" => new(string.IsNullOrEmpty(appNamespace) ? appId : $"{appNamespace}.{appId}"),
            "none" => new((string?)null),
            _ => new(strategy),
        };
    }

    /// <summary>The store key for an app's key, or null (with daprd's message) when the key contains <c>||</c>.</summary>
    public string? Apply(string key, out string? problem)
    {
        if (key.Contains(Separator, StringComparison.Ordinal))
        {
            problem = $"input key/keyPrefix '{key}' can't contain '{Separator}'";
            return null;
        }
        problem = null;
        return Prefix is null ? key : Prefix + Separator + key;
    }
}
