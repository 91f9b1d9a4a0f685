namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>An output binding operation that failed; the message is daprd's text, returned to the app inside <c>ERR_INVOKE_OUTPUT_BINDING</c>.</summary>
public sealed class OutputBindingException(string message, Exception? inner = null) : Exception(message, inner);
