using System.Collections;

namespace DaprIoT.LocalRuntime.Secrets;

/// <summary>
/// <c>secretstores.local.env</c>: a secret is the sidecar's environment variable of that name (the runtime's
/// environment, as daprd reads its own). With <c>prefix</c>, only variables starting with it are secrets, named without it.
/// A variable that is not set reads as an empty value, as in components-contrib.
/// </summary>
internal sealed class EnvSecretStore(string prefix) : ISecretStore
{
    public IReadOnlyDictionary<string, string> Get(string name) =>
        new Dictionary<string, string> { [name] = Environment.GetEnvironmentVariable(prefix + name) ?? "" };

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> GetAll()
    {
        var all = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var name = key[prefix.Length..];
            all[name] = new Dictionary<string, string> { [name] = entry.Value?.ToString() ?? "" };
        }
        return all;
    }
}
