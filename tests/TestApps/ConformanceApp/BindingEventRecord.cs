namespace DaprIoT.ConformanceApp;

/// <summary>One input-binding delivery as this app saw it.</summary>
public sealed record BindingEventRecord(string Name, string Body, string BodyBase64, IReadOnlyDictionary<string, string> Metadata, string Instance, DateTimeOffset ReceivedAt);
