namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>One call the sidecar made to the test app.</summary>
internal sealed record AppCall(
    string Replica, string Verb, string ActorType, string ActorId, string Method, string Body,
    IReadOnlyDictionary<string, string> Headers);
