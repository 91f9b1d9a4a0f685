using System.Text;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>One input binding delivery as the test app saw it.</summary>
public sealed record ReceivedEvent(string Path, string Topic, string Traceparent, string? ContentType, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);
}
