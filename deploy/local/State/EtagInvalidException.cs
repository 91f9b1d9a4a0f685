namespace DaprIoT.LocalRuntime.State;

/// <summary>An ETag that is not of the store's form; daprd answers 400 for it on save, unlike a mismatch (409).</summary>
public sealed class EtagInvalidException(string key, string etag)
    : Exception($"ETag '{etag}' of key '{key}' is not valid for this store: its ETags are whole numbers")
{
    public string Key { get; } = key;
}
