using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>W3C trace context of a publish or a delivery (<c>traceparent</c> may be empty, <c>tracestate</c> usually is).</summary>
public sealed record EventTrace(string Traceparent, string Tracestate)
{
    /// <summary>
    /// A span for work done on behalf of <paramref name="parent"/>: same trace id and flags, new span id, as daprd
    /// starts a child span for a publish or a delivery. Without a valid parent a new (unsampled) trace starts.
    /// </summary>
    public static EventTrace ChildOf(string? parent, string? tracestate) =>
        new(TraceContext.ChildOrNew(parent), tracestate ?? "");
}
