namespace DaprIoT.DeviceManagement.Api;

/// <summary>What is wrong with a request, by field: the <c>errors</c> of a ValidationProblem, or a HubException's message.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _byField = new(StringComparer.Ordinal);

    public bool Any => _byField.Count > 0;

    public void Add(string field, string message)
    {
        if (!_byField.TryGetValue(field, out var messages)) _byField[field] = messages = [];
        messages.Add(message);
    }

    public Dictionary<string, string[]> ToDictionary() =>
        _byField.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal);

    /// <summary>One line naming every field, e.g. <c>brightnessPct: must be …; colorTempK: must be …</c>.</summary>
    public override string ToString() =>
        string.Join("; ", _byField.Select(pair => $"{pair.Key}: {string.Join(", ", pair.Value)}"));
}
