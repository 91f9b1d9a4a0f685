namespace DaprIoT.Conformance.Tests.PubSub;

/// <summary>The topics of one <see cref="PubSubRun"/>, unique per run so parallel runs on the shared brokers never meet.</summary>
public sealed record PubSubTopics(string Suffix)
{
    /// <summary>Delivered to the inspector app, which records the raw request.</summary>
    public string Envelope => $"envelope-{Suffix}";

    /// <summary>Delivered to the inspector app on /variants: other content types and the publisher's own CloudEvents.</summary>
    public string Variants => $"variants-{Suffix}";

    /// <summary>A topic with slashes, as device topics are; delivered to the inspector app on /nested.</summary>
    public string Nested => $"devices/{Suffix}/telemetry";

    /// <summary>Delivered to the inspector app on /raw through a <c>rawPayload</c> subscription.</summary>
    public string Raw => $"raw-{Suffix}";

    /// <summary>The subscriber's route /subscriptions/0; the message data picks the app's answer.</summary>
    public string Outcomes => $"outcomes-{Suffix}";

    /// <summary>The subscriber's route /subscriptions/1, with dead-letter topic <see cref="OrdersDead"/>.</summary>
    public string Orders => $"orders-{Suffix}";

    /// <summary>The subscriber's route /subscriptions/2.</summary>
    public string OrdersDead => $"orders-{Suffix}-dead";

    /// <summary>The subscriber's route /subscriptions/3, a bulk subscription (WithBulkSubscribe).</summary>
    public string Bulk => $"bulk-{Suffix}";

    /// <summary>
    /// The subscriber's default route /subscriptions/4, with a routing rule sending events of type <c>alarm</c> to
    /// /alarms.
    /// </summary>
    public string Routed => $"routed-{Suffix}";

    /// <summary>The subscriber's route /subscriptions/5, a rawPayload subscription.</summary>
    public string RawToApp => $"raw-app-{Suffix}";

    /// <summary>The victim's only topic.</summary>
    public string Slow => $"slow-{Suffix}";

    /// <summary>Both workers replicas, component <c>pubsub</c> (default consumerID: the app id).</summary>
    public string Compete => $"compete-{Suffix}";

    /// <summary>Both workers replicas, component <c>broadcast</c> (<c>consumerID: "{podName}"</c>).</summary>
    public string Broadcast => $"broadcast-{Suffix}";

    public IReadOnlyList<string> All => [Envelope, Variants, Nested, Raw, Outcomes, Orders, OrdersDead, Bulk, Routed, RawToApp, Slow, Compete, Broadcast];
}
