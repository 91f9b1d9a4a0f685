namespace DaprIoT.LocalRuntime.Configuration;

/// <summary>A loaded <c>dapr.yaml</c>: where it was read from and its apps (one entry per replica).</summary>
public sealed record RunFile(string FilePath, IReadOnlyList<AppDefinition> Apps)
{
    public string Directory => System.IO.Path.GetDirectoryName(FilePath)!;
}
