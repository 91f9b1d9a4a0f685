namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>The system clock moved by a fixed offset, to make a sidecar see published events as already expired.</summary>
public sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
