using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>
/// Typed reads of one YAML mapping. Every failure becomes a <see cref="ConfigurationException"/> naming the
/// file, the dotted field path and the line, so a wrong type or a missing key is obvious to fix.
/// </summary>
internal sealed class YamlMap(string file, string path, YamlMappingNode node)
{
    public string File { get; } = file;
    public string Path { get; } = path;
    public YamlMappingNode Node { get; } = node;

    public IEnumerable<string> Keys =>
        Node.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "");

    public bool Has(string key) => Find(key) is not null;

    public string FieldPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public ConfigurationException Error(string key, string problem, YamlNode? at = null)
    {
        var mark = (at ?? Find(key) ?? Node).Start;
        return new ConfigurationException(File, FieldPath(key), $"{problem} (line {mark.Line}, column {mark.Column})");
    }

    public YamlNode? Find(string key)
    {
        foreach (var (k, v) in Node.Children)
        {
            if (k is YamlScalarNode s && s.Value == key) return IsNull(v) ? null : v;
        }
        return null;
    }

    public string? String(string key)
    {
        if (Find(key) is not { } value) return null;
        return value is YamlScalarNode scalar ? scalar.Value ?? "" : throw Error(key, "must be a text value, not a list or a mapping");
    }

    public string RequiredString(string key) =>
        String(key) is { Length: > 0 } value ? value : throw Error(key, "is required");

    public int? Int(string key)
    {
        if (String(key) is not { } raw) return null;
        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(key, $"'{raw}' is not a whole number");
    }

    public int? Port(string key)
    {
        var port = Int(key);
        if (port is < 0 or > 65535) throw Error(key, $"{port} is not a TCP port (0-65535)");
        return port is 0 ? null : port;
    }

    public bool? Bool(string key)
    {
        if (String(key) is not { } raw) return null;
        return bool.TryParse(raw, out var value) ? value : throw Error(key, $"'{raw}' is not true or false");
    }

    public TimeSpan? Duration(string key)
    {
        if (String(key) is not { } raw) return null;
        return GoDuration.TryParse(raw, out var value)
            ? value
            : throw Error(key, $"'{raw}' is not a duration such as 500ms, 15s or 1m30s");
    }

    public YamlMap? Map(string key)
    {
        if (Find(key) is not { } value) return null;
        return value is YamlMappingNode map
            ? new YamlMap(File, FieldPath(key), map)
            : throw Error(key, "must be a mapping (key: value lines)");
    }

    public YamlSequenceNode? Sequence(string key)
    {
        if (Find(key) is not { } value) return null;
        return value as YamlSequenceNode ?? throw Error(key, "must be a list");
    }

    /// <summary>A list of strings; a single comma-separated string is accepted too (the docs show both forms).</summary>
    public IReadOnlyList<string>? StringList(string key)
    {
        switch (Find(key))
        {
            case null:
                return null;
            case YamlScalarNode scalar:
                return (scalar.Value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            case YamlSequenceNode sequence:
                return sequence.Children.Select((item, i) => item is YamlScalarNode s
                    ? s.Value ?? ""
                    : throw Error(key, $"item {i} must be a text value", item)).ToList();
            default:
                throw Error(key, "must be a list of text values");
        }
    }

    /// <summary>A mapping of text values (env, subscription metadata); numbers and booleans are stringified.</summary>
    public IReadOnlyDictionary<string, string>? StringMap(string key)
    {
        if (Map(key) is not { } map) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Node.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? throw map.Error("?", "keys must be text", k);
            result[name] = v switch
            {
                YamlScalarNode s => s.Value ?? "",
                _ => throw map.Error(name, "must be a text value"),
            };
        }
        return result;
    }

    public IEnumerable<YamlMap> Maps(string key)
    {
        if (Sequence(key) is not { } sequence) yield break;
        var i = 0;
        foreach (var item in sequence.Children)
        {
            yield return item is YamlMappingNode map
                ? new YamlMap(File, $"{FieldPath(key)}[{i}]", map)
                : throw Error(key, $"item {i} must be a mapping", item);
            i++;
        }
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" };

    /// <summary>Parses every document of a YAML file; syntax errors name the line and column.</summary>
    public static IReadOnlyList<YamlDocument> LoadDocuments(string file, string text)
    {
        try
        {
            // Our own comment-skipping Parser rather than YamlStream.Load(TextReader): the latter keeps comments,
            // and that scanner throws a bare InvalidOperationException, with no position, when the text ends inside
            // a flow collection ("metadata: { name: s" as the last line). This one reports a YamlException.
            var stream = new YamlStream();
            stream.Load(new Parser(new StringReader(text)));
            return stream.Documents.ToList();
        }
        catch (YamlException e)
        {
            throw new ConfigurationException(file, "(yaml)",
                $"malformed YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
    }
}
