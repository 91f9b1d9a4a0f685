namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>What the output binding API hands a component: the operation, the JSON-encoded data and the request metadata.</summary>
public sealed record OutputBindingInvocation(string Operation, byte[] Data, IReadOnlyDictionary<string, string> Metadata);
