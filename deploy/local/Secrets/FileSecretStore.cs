using System.Text.Json;

namespace DaprIoT.LocalRuntime.Secrets;

/// <summary>
/// <c>secretstores.local.file</c>: secrets from a JSON file (<c>secretsFile</c>), read when the component opens.
/// Nested objects are flattened with <c>nestedSeparator</c> (default <c>:</c>), so <c>{"db":{"password":"x"}}</c> is
/// the secret <c>db:password</c>; with <c>multiValued: true</c> each top-level key is one secret holding its nested
/// values instead. Numbers and booleans read as their JSON text.
/// </summary>
internal sealed class FileSecretStore : ISecretStore
{
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _secrets = new(StringComparer.Ordinal);

    public FileSecretStore(string path, string separator, bool multiValued)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new FormatException($"{path} must hold a JSON object of secrets");
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (multiValued && property.Value.ValueKind == JsonValueKind.Object)
            {
                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                Flatten(property.Value, "", separator, values);
                _secrets[property.Name] = values;
                continue;
            }
            var flat = new Dictionary<string, string>(StringComparer.Ordinal);
            Flatten(property.Value, property.Name, separator, flat);
            foreach (var (name, value) in flat) _secrets[name] = new Dictionary<string, string> { [name] = value };
        }
    }

    public IReadOnlyDictionary<string, string> Get(string name) =>
        _secrets.TryGetValue(name, out var values) ? values : throw new KeyNotFoundException($"secret {name} not found");

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> GetAll() => _secrets;

    private static void Flatten(JsonElement element, string name, string separator, Dictionary<string, string> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    Flatten(property.Value, name.Length == 0 ? property.Name : name + separator + property.Name, separator, into);
                break;
            case JsonValueKind.String:
                into[name] = element.GetString()!;
                break;
            default:
                into[name] = element.GetRawText();
                break;
        }
    }
}
