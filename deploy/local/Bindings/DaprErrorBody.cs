namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>daprd's error body: <c>{"errorCode":"ERR_…","message":"…"}</c>.</summary>
internal sealed record DaprErrorBody(string ErrorCode, string Message);
