using System.Globalization;
using DaprIoT.LocalRuntime.PubSub.Brokers;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using Grpc.Core;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>One event of a bulk publish that could not be published, and why.</summary>
internal sealed record FailedEntry(string EntryId, string Error);

/// <summary>
/// Publishing for one sidecar, behind both doors (<see cref="PublishEndpoint"/> on HTTP, <see cref="PubSubGrpc"/> on
/// gRPC): daprd's checks in its order, the CloudEvent envelope (or the raw payload), TTL, and the component's
/// outbound resiliency. Failures are <see cref="DaprApiException"/>s with daprd's codes (<c>pkg/api/errors/pubsub.go</c>).
/// </summary>
internal sealed class Publisher(SidecarContext sidecar, PubSubComponents components, TimeProvider clock, ILogger logger)
{
    public async Task PublishAsync(string pubsubName, string? topic, ReadOnlyMemory<byte> body, string? contentType,
        IReadOnlyDictionary<string, string> metadata, EventTrace trace, CancellationToken cancellationToken)
    {
        var component = Target(pubsubName, topic);
        ReadOptions(metadata, out var raw, out var ttl);
        var data = Envelope(component, topic!, body, contentType, metadata, raw, ttl, trace)
            ?? throw new DaprApiException(500, StatusCode.InvalidArgument, "ERR_PUBSUB_CLOUD_EVENTS_SER",
                $"error when marshalling cloud event envelope for topic {topic} pubsub {pubsubName}: the body is not a JSON object");
        try
        {
            await PublishWithRetryAsync(component.Broker, topic!, data, metadata, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            PubSubLog.PublishFailed(logger, pubsubName, topic!, e.Message);
            throw new DaprApiException(500, StatusCode.Internal, "ERR_PUBSUB_PUBLISH_MESSAGE",
                $"error when publish to topic {topic} in pubsub {pubsubName}: {e.Message}");
        }
    }

    /// <summary>
    /// Bulk publish (§3.6): each entry wrapped like a single publish (its metadata over the request's). Returns the
    /// entries that failed; the others were published.
    /// </summary>
    public async Task<IReadOnlyList<FailedEntry>> BulkPublishAsync(string pubsubName, string? topic, IReadOnlyList<BulkEntry> entries,
        IReadOnlyDictionary<string, string> requestMetadata, EventTrace trace, CancellationToken cancellationToken)
    {
        var component = Target(pubsubName, topic);
        ReadOptions(requestMetadata, out _, out _);
        // Like daprd's default bulk publisher for a component without bulk support of its own, the entries are
        // published side by side (on Redis they share the connection's pipeline), not one round trip after another.
        var outcomes = await Task.WhenAll(entries.Select(entry => PublishEntryAsync(component, pubsubName, topic!, entry, requestMetadata, trace, cancellationToken)));
        return outcomes.OfType<FailedEntry>().ToList();
    }

    /// <summary>One entry of a bulk publish: null when it was published, else why not.</summary>
    private async Task<FailedEntry?> PublishEntryAsync(PubSubComponent component, string pubsubName, string topic, BulkEntry entry,
        IReadOnlyDictionary<string, string> requestMetadata, EventTrace trace, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>(requestMetadata, StringComparer.Ordinal);
        foreach (var (key, value) in entry.Metadata) metadata[key] = value;
        try
        {
            ReadOptions(metadata, out var raw, out var ttl);
            var data = Envelope(component, topic, entry.Data, entry.ContentType, metadata, raw, ttl, trace);
            if (data is null) return new FailedEntry(entry.EntryId, "the event is not a JSON object CloudEvent");
            await PublishWithRetryAsync(component.Broker, topic, data, metadata, cancellationToken);
            return null;
        }
        catch (DaprApiException e)
        {
            return new FailedEntry(entry.EntryId, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            PubSubLog.PublishFailed(logger, pubsubName, topic, e.Message);
            return new FailedEntry(entry.EntryId, e.Message);
        }
    }

    /// <summary>The checks daprd makes before it reads the events: the pub/sub name, the topic, the request's metadata.</summary>
    public void Validate(string pubsubName, string? topic, IReadOnlyDictionary<string, string> requestMetadata)
    {
        Target(pubsubName, topic);
        ReadOptions(requestMetadata, out _, out _);
    }

    /// <summary>daprd's checks, in its order, of the pub/sub name and topic.</summary>
    private PubSubComponent Target(string pubsubName, string? topic)
    {
        if (components.Count == 0)
            throw new DaprApiException(400, StatusCode.FailedPrecondition, "ERR_PUBSUB_NOT_CONFIGURED", "no pubsub is configured");
        if (pubsubName.Length == 0)
            throw new DaprApiException(404, StatusCode.InvalidArgument, "ERR_PUBSUB_EMPTY", "pubsub name is empty");
        if (!components.TryGet(pubsubName, out var component))
            throw new DaprApiException(404, StatusCode.InvalidArgument, "ERR_PUBSUB_NOT_FOUND", $"pubsub {pubsubName} not found");
        if (string.IsNullOrEmpty(topic))
            throw new DaprApiException(404, StatusCode.InvalidArgument, "ERR_TOPIC_NAME_EMPTY", $"topic is empty in pubsub {pubsubName}");
        if (!component.Scopes.MayPublish(topic))
            throw new DaprApiException(403, StatusCode.PermissionDenied, "ERR_PUBSUB_FORBIDDEN", $"topic {topic} is not allowed for app id {sidecar.AppId}");
        return component;
    }

    /// <summary>Reads <c>rawPayload</c> and <c>ttlInSeconds</c>.</summary>
    private static void ReadOptions(IReadOnlyDictionary<string, string> metadata, out bool raw, out int? ttl)
    {
        raw = false;
        ttl = null;
        if (metadata.TryGetValue("rawPayload", out var rawText) && !GoBool.TryParse(rawText, out raw))
            throw MetadataError($"rawPayload '{rawText}' is not true or false");
        if (metadata.TryGetValue("ttlInSeconds", out var ttlText))
        {
            if (!int.TryParse(ttlText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
                throw MetadataError($"ttlInSeconds '{ttlText}' is not a whole number of seconds");
            ttl = seconds;
        }
    }

    private static DaprApiException MetadataError(string problem) =>
        new(400, StatusCode.InvalidArgument, "ERR_PUBSUB_REQUEST_METADATA", $"failed deserializing metadata: {problem}");

    /// <summary>The bytes handed to the broker: the raw body, or the CloudEvent daprd builds; null when an app's own CloudEvent is not a JSON object.</summary>
    private byte[]? Envelope(PubSubComponent component, string topic, ReadOnlyMemory<byte> body, string? contentType,
        IReadOnlyDictionary<string, string> metadata, bool raw, int? ttl, EventTrace trace)
    {
        if (raw) return body.ToArray();
        var now = clock.GetLocalNow();
        var pubsubName = component.Spec.Name;
        // Brokers without native TTL get the expiry written into the event; the subscribing sidecar drops it later.
        var expiration = ttl is { } seconds && !component.Broker.HasNativeTtl
            ? CloudEvents.FormatTime(clock.GetUtcNow().AddSeconds(seconds))
            : null;
        if (contentType?.Split(';', 2)[0].Trim().Equals(CloudEvents.ContentType, StringComparison.OrdinalIgnoreCase) != true)
            return CloudEvents.Wrap(body, contentType, sidecar.AppId, pubsubName, topic, trace, metadata, now, expiration);
        if (CloudEvents.Complete(body, pubsubName, topic, trace, now) is not { } envelope) return null;
        if (expiration is not null) envelope["expiration"] = expiration;
        return CloudEvents.Serialize(envelope);
    }

    /// <summary>Applies the component's outbound resiliency policies, if any, to the broker call.</summary>
    private Task PublishWithRetryAsync(IPubSubBroker broker, string topic, byte[] data,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
        PolicyRunner.RunAsync(sidecar.Resiliency.ForComponentOutbound(broker.ComponentName),
            ct => broker.PublishAsync(topic, data, metadata, ct), clock, cancellationToken);
}
