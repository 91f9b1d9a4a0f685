namespace DaprIoT.Dapr.PubSub;

/// <summary>Optional parts of a programmatic subscription.</summary>
public sealed class TopicHandlerOptions
{
    /// <summary>Where daprd sends messages that failed (after retries) or were dropped. It needs its own subscription.</summary>
    public string? DeadLetterTopic { get; set; }

    /// <summary>
    /// Subscribe with <c>rawPayload: "true"</c>: the handler gets a synthetic CloudEvent with the broker bytes in
    /// <c>data_base64</c> and a fresh <c>id</c> per delivery (so the id cannot be used for deduplication).
    /// </summary>
    public bool RawPayload { get; set; }

    /// <summary>Subscription metadata for the component (string values), e.g. RabbitMQ <c>queueName</c>.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Routing rules, evaluated by the sidecar in order before the default route.</summary>
    public IList<TopicRule> Rules { get; } = [];
}
