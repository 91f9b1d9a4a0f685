namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>An event from an input binding: the raw bytes and the component's metadata (sent to the app as headers).</summary>
public sealed record InputBindingEvent(byte[] Data, IReadOnlyDictionary<string, string> Metadata);
