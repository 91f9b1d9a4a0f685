using System.Diagnostics;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>The W3C trace context an event carries (<c>traceparent</c> may be empty, <c>tracestate</c> usually is).</summary>
public sealed record EventTrace(string Traceparent, string Tracestate)
{
    /// <summary>
    /// The publish request's context. The sidecar's middleware has already made the request's traceparent the
    /// sidecar's own span (daprd's publish span), so it is used as it is; without a valid one a new, unsampled
    /// trace starts.
    /// </summary>
    public static EventTrace FromRequest(string? traceparent, string? tracestate) =>
        new(ActivityContext.TryParse(traceparent, null, isRemote: true, out _) ? traceparent! : TraceContext.NewTraceparent(),
            tracestate ?? "");

    /// <summary>The context for delivering an event: a child span in the event's trace, as daprd starts one per delivery.</summary>
    public static EventTrace ChildOf(string? traceparent, string? tracestate) =>
        new(TraceContext.ChildOrNew(traceparent), tracestate ?? "");
}
