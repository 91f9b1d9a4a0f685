using Microsoft.AspNetCore.Http;

namespace DaprIoT.Dapr.PubSub;

/// <summary>
/// What a topic handler tells the sidecar. <see cref="Success"/>, <see cref="Retry"/> and <see cref="Drop"/> become
/// <c>{"status":"SUCCESS"|"RETRY"|"DROP"}</c> with 200; <see cref="Http"/> sends any HTTP response as is, which daprd
/// reads by its status rules (404 drops, other non-2xx retry, 2xx without a status succeeds).
/// </summary>
public sealed class TopicResponse
{
    private TopicResponse(string? status, IResult? result)
    {
        Status = status;
        Result = result;
    }

    public static TopicResponse Success { get; } = new("SUCCESS", null);

    /// <summary>A retriable failure: the sidecar retries per its resiliency policy, then dead-letters or lets the broker redeliver.</summary>
    public static TopicResponse Retry { get; } = new("RETRY", null);

    /// <summary>Acknowledge and discard (to the dead-letter topic when one is set).</summary>
    public static TopicResponse Drop { get; } = new("DROP", null);

    /// <summary>The wire status string (case-sensitive for daprd), or null for <see cref="Http"/> responses.</summary>
    public string? Status { get; }

    internal IResult? Result { get; }

    public static TopicResponse Http(IResult result) => new(null, result);

    internal IResult ToResult() => Result ?? Results.Json(new { status = Status }, Internal.ProtocolJson.Options, statusCode: StatusCodes.Status200OK);
}
