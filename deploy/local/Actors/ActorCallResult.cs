namespace DaprIoT.LocalRuntime.Actors;

/// <summary>What the app answered to an actor call: status, body, content type and response headers.</summary>
internal sealed record ActorCallResult(
    int Status, byte[] Body, string? ContentType, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The .NET SDK marks an actor exception with this header while keeping its status and body.</summary>
    public const string ErrorResponseHeader = "X-Daprerrorresponseheader";

    /// <summary>A reminder or timer callback answering with this header set to a truthy value cancels further firings.</summary>
    public const string ReminderCancelHeader = "X-Daprremindercancel";

    public bool HasHeader(string name) => Headers.Any(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    public bool CancelsReminder => Headers.Any(h =>
        string.Equals(h.Key, ReminderCancelHeader, StringComparison.OrdinalIgnoreCase) && IsTruthy(h.Value));

    // dapr/kit strings.IsTruthy
    private static bool IsTruthy(string value) =>
        value.Trim().ToLowerInvariant() is "y" or "yes" or "true" or "t" or "on" or "1";
}
