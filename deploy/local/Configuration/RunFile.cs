namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>
/// A loaded <c>dapr.yaml</c>: where it was read from, its apps (one entry per replica) and warnings about keys the
/// Dapr CLI would silently ignore (usually typos).
/// </summary>
public sealed record RunFile(string FilePath, IReadOnlyList<AppDefinition> Apps, IReadOnlyList<string> Warnings)
{
    public string Directory => System.IO.Path.GetDirectoryName(FilePath)!;
}
