using System.Security.Cryptography;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>W3C trace context of a publish or a delivery (<c>traceparent</c> may be empty, <c>tracestate</c> usually is).</summary>
public sealed record TraceContext(string Traceparent, string Tracestate)
{
    /// <summary>
    /// A span for work done on behalf of <paramref name="parent"/>: same trace id and flags, new span id, as daprd
    /// starts a child span for a publish or a delivery. Without a valid parent a new (unsampled) trace starts.
    /// </summary>
    public static TraceContext ChildOf(string? parent, string? tracestate)
    {
        var parts = parent?.Split('-');
        var valid = parts is { Length: 4 } && parts[0].Length == 2 && parts[1].Length == 32 && parts[2].Length == 16
            && parts[3].Length == 2 && parts[1] != new string('0', 32);
        var traceId = valid ? parts![1] : Hex(16);
        var flags = valid ? parts![3] : "00";
        return new TraceContext($"00-{traceId}-{Hex(8)}-{flags}", tracestate ?? "");
    }

    private static string Hex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
