namespace DaprIoT.Dapr.Client;

/// <summary>A state read: the value (default when <paramref name="Found"/> is false) and the ETag to write it back with.</summary>
public sealed record StateEntry<T>(string Key, T? Value, string? ETag, bool Found);
