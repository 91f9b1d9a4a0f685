using Dapr.Client.Autogen.Grpc.v1;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.Sidecar.Grpc;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// <c>PublishEvent</c>, <c>BulkPublishEvent</c> and <c>BulkPublishEventAlpha1</c> of daprd's gRPC API: the gRPC door
/// to the same <see cref="Publisher"/> as the HTTP routes. The trace context comes from the call's <c>traceparent</c>
/// metadata, as the Dapr SDKs send it.
/// </summary>
internal sealed class PubSubGrpc(Publisher publisher)
{
    private static readonly Empty Done = new();

    public void Map(GrpcApi api)
    {
        api.MapUnary<PublishEventRequest, Empty>("PublishEvent", PublishAsync);
        api.MapUnary<BulkPublishRequest, BulkPublishResponse>("BulkPublishEvent", BulkPublishAsync);
        api.MapUnary<BulkPublishRequest, BulkPublishResponse>("BulkPublishEventAlpha1", BulkPublishAsync);
    }

    private async Task<Empty> PublishAsync(PublishEventRequest request, ServerCallContext call)
    {
        // An empty content type is daprd's default, which the envelope applies like a missing HTTP Content-Type.
        var contentType = request.DataContentType.Length > 0 ? request.DataContentType : null;
        await publisher.PublishAsync(request.PubsubName, request.Topic, request.Data.Memory, contentType,
            new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal), Trace(call), call.CancellationToken);
        return Done;
    }

    private async Task<BulkPublishResponse> BulkPublishAsync(BulkPublishRequest request, ServerCallContext call)
    {
        var metadata = new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal);
        publisher.Validate(request.PubsubName, request.Topic, metadata);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<BulkEntry>(request.Entries.Count);
        foreach (var entry in request.Entries)
        {
            if (entry.EntryId.Length == 0 || !ids.Add(entry.EntryId))
                throw new DaprApiException(400, StatusCode.InvalidArgument, "ERR_PUBSUB_EVENTS_SER",
                    $"error when marshaling events to bytes for topic {request.Topic} pubsub {request.PubsubName}: entryId is duplicated or not present for entry");
            // The event's bytes stay in the request message: the envelope is written from them.
            entries.Add(new BulkEntry(entry.EntryId, entry.Event.Memory, entry.ContentType,
                new Dictionary<string, string>(entry.Metadata, StringComparer.Ordinal)));
        }
        var failed = await publisher.BulkPublishAsync(request.PubsubName, request.Topic, entries, metadata, Trace(call), call.CancellationToken);
        var response = new BulkPublishResponse();
        foreach (var entry in failed) response.FailedEntries.Add(new BulkPublishResponseFailedEntry { EntryId = entry.EntryId, Error = entry.Error });
        return response;
    }

    private static EventTrace Trace(ServerCallContext call) =>
        EventTrace.FromRequest(call.RequestHeaders.GetValue(TraceContext.Header), call.RequestHeaders.GetValue("tracestate"));
}
