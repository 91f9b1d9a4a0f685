using System.Globalization;
using DaprIoT.LocalRuntime.Configuration;

namespace DaprIoT.LocalRuntime.Components;

/// <summary>
/// One Dapr <c>Component</c> resource as loaded from YAML. Metadata accessors fail with a
/// <see cref="ConfigurationException"/> naming the file and the <c>spec.metadata</c> entry.
/// </summary>
public sealed record ComponentSpec(
    string Name,
    string Type,
    string Version,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<string> Scopes,
    bool IgnoreErrors,
    string SourceFile)
{
    /// <summary><c>spec.initTimeout</c>: how long opening the component may take (daprd's default 5 s).</summary>
    public TimeSpan InitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The building block: the part of <see cref="Type"/> before the first dot (<c>state</c>, <c>pubsub</c>, <c>bindings</c>).</summary>
    public string Kind => Type.Split('.', 2)[0];

    /// <summary>Whether an app may use this component: no scopes means every app.</summary>
    public bool IsVisibleTo(string appId) => Scopes.Count == 0 || Scopes.Contains(appId);

    public string? GetString(string key) =>
        Metadata.TryGetValue(key, out var value) && value.Length > 0 ? value : null;

    public string GetRequiredString(string key) =>
        GetString(key) ?? throw Invalid(key, "is required");

    public bool GetBool(string key, bool fallback)
    {
        if (GetString(key) is not { } raw) return fallback;
        return bool.TryParse(raw, out var value) ? value : throw Invalid(key, $"'{raw}' is not true or false");
    }

    public int GetInt(string key, int fallback)
    {
        if (GetString(key) is not { } raw) return fallback;
        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(key, $"'{raw}' is not a whole number");
    }

    /// <summary>Reads a Go-style duration (<c>15s</c>, <c>1m30s</c>, <c>500ms</c>) or a bare number of seconds.</summary>
    public TimeSpan GetDuration(string key, TimeSpan fallback)
    {
        if (GetString(key) is not { } raw) return fallback;
        return GoDuration.TryParse(raw, out var value)
            ? value
            : throw Invalid(key, $"'{raw}' is not a duration such as 500ms, 15s or 1m30s");
    }

    public ConfigurationException Invalid(string key, string problem) =>
        new(SourceFile, $"component '{Name}' spec.metadata.{key}", problem);
}
