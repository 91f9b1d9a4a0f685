namespace DaprIoT.LocalRuntime.Invocation;

/// <summary>
/// A call to another app as either door hands it to <see cref="ServiceInvoker"/>: the verb, the app path and query,
/// the caller's headers, the body (created per attempt; <paramref name="Replayable"/> when it can be sent again) and
/// what daprd forwards about the caller's connection.
/// </summary>
internal sealed record InvocationRequest(
    string Verb,
    string Path,
    string QueryString,
    IEnumerable<KeyValuePair<string, IEnumerable<string?>>> Headers,
    Func<HttpContent?> CreateContent,
    bool Replayable,
    long? ContentLength,
    string Traceparent,
    string RemoteAddress,
    string LocalAddress,
    string Host);
