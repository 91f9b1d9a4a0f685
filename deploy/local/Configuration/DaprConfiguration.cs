namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>
/// The parts of a <c>Configuration</c> resource (§12.1) the local runtime reads: tracing sampling, preview
/// features and access control. Null sections mean "not configured".
/// </summary>
public sealed record DaprConfiguration(
    string Name,
    string? SourceFile,
    double SamplingRate,
    IReadOnlyDictionary<string, bool> Features,
    AccessControlSpec? AccessControl)
{
    public static DaprConfiguration Default { get; } =
        new("default", null, 0.0001, new Dictionary<string, bool>(), null);

    public IEnumerable<string> EnabledFeatures => Features.Where(f => f.Value).Select(f => f.Key);
}
