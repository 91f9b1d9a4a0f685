using System.Diagnostics;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// W3C trace context as daprd handles it (§1.7): a request without a valid <c>traceparent</c> starts a new
/// trace; the sidecar's own span is a child of the caller's, and it is returned to the caller on the response.
/// </summary>
public static class TraceContext
{
    public const string Header = "traceparent";

    /// <summary>Ensures the request carries a traceparent (sampled per the configuration) and echoes it on the response.</summary>
    public static string Apply(HttpContext context, double samplingRate)
    {
        var incoming = context.Request.Headers[Header].ToString();
        string traceparent;
        if (ActivityContext.TryParse(incoming, null, isRemote: true, out var parent))
        {
            traceparent = Child(parent);
        }
        else
        {
            traceparent = NewTraceparent(sampled: samplingRate > 0 && Random.Shared.NextDouble() < samplingRate);
        }
        context.Request.Headers[Header] = traceparent;
        context.Response.Headers[Header] = traceparent;
        return traceparent;
    }

    /// <summary>A new span in the same trace, with the parent's sampling flag.</summary>
    public static string Child(ActivityContext parent) =>
        $"00-{parent.TraceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-{((parent.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";

    /// <summary>The first span of a new trace.</summary>
    public static string NewTraceparent(bool sampled = false) =>
        $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-{(sampled ? "01" : "00")}";

    /// <summary>A child of <paramref name="traceparent"/>, or a new unsampled trace when it is missing or invalid.</summary>
    public static string ChildOrNew(string? traceparent) =>
        ActivityContext.TryParse(traceparent, null, isRemote: true, out var parent) ? Child(parent) : NewTraceparent();

    public static string Child(string traceparent) =>
        ActivityContext.TryParse(traceparent, null, isRemote: true, out var parent) ? Child(parent) : traceparent;
}
