using DaprIoT.Dapr.CloudEvents;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.Dapr.PubSub;

/// <summary>
/// A routing rule of a subscription: events for which the CEL <paramref name="Match"/> holds (e.g.
/// <c>event.type == "alarm"</c>) go to <paramref name="Path"/>, handled by <paramref name="Handler"/>.
/// </summary>
public sealed record TopicRule(string Match, string Path, Func<CloudEvent, HttpContext, Task<TopicResponse>> Handler);
