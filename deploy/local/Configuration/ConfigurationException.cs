namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>
/// A run file, component, subscription, resiliency or configuration file that cannot be used.
/// The message always names the file, the field and what is wrong, so the fix is obvious.
/// </summary>
public sealed class ConfigurationException(string file, string field, string problem)
    : Exception($"{file}: {field}: {problem}")
{
    public string File { get; } = file;
    public string Field { get; } = field;
    public string Problem { get; } = problem;
}
