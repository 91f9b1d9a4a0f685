using System.Buffers;
using System.Text;
using Dapr;
using Dapr.Actors;
using Dapr.Actors.Client;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Model;
using DaprIoT.DeviceTwins.Twin;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.DeviceTwins.Ingestion;

/// <summary>
/// Where the device type's MQTT input bindings deliver (<c>POST /{type}-{kind}</c>, one binding per message kind,
/// the topic in the <c>topic</c> metadata header). The device id comes from the topic, never the payload. A message
/// is checked against the wire contract first; a bad one — malformed, unknown field, out of range, on the wrong
/// topic, from a device that is not provisioned — is counted, logged once per device and kind, and answered 200 so
/// the binding does not deliver it again for ever. <c>state</c>, <c>ack</c> and <c>presence</c> go to the device's
/// actor; <c>telemetry</c> to the bus in batches. An answer other than 200 leaves a QoS 1 message unacknowledged, and
/// the binding delivers it again every 5 s (the components of the QoS 1 kinds set <c>backOffMaxRetries: -1</c>), so
/// nothing the broker handed over is lost: 503 when the actor did not take the message (counted with outcome <c>failed</c>, logged by
/// <see cref="ActorFailureLog"/>), 500 for anything unforeseen.
/// </summary>
public sealed class DeviceIngestion(
    DeviceModel model,
    IActorProxyFactory actors,
    HeartbeatGate heartbeats,
    ReportPairing pairing,
    TelemetryPublisher telemetry,
    DeviceMetrics metrics,
    RejectionLog rejections,
    ActorFailureLog actorFailures,
    TimeProvider time)
{
    /// <summary>More than any valid message (512 bytes); the rest of a longer body is not read.</summary>
    private const int MaxBody = 1024;

    public static string BindingName(DeviceModel model, MessageKind kind) => $"{model.TypeName}-{WireNames.Of(kind)}";

    public async Task<IResult> HandleAsync(MessageKind kind, HttpRequest request)
    {
        var receivedAt = time.GetUtcNow();
        var kindName = WireNames.Of(kind);
        var topicName = request.Headers["topic"].ToString();
        if (!DeviceTopic.TryParse(topicName, out var topic) || topic.Type != model.Type || topic.Kind != kind)
            return Reject(DeviceIdOf(topicName), kindName, "bad_topic", null, topicName);

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBody + 1);
        try
        {
            var length = await ReadBodyAsync(request, buffer);
            var payload = buffer.AsMemory(0, length);
            var decoded = WireCodec.DecodeReport(model.Type, kind, payload.Span);
            if (!decoded.Ok) return Reject(topic.DeviceId, kindName, decoded.Error!.CodeName, decoded.Error.Field, topicName);
            var message = decoded.Value!;

            try
            {
                if (kind == MessageKind.Telemetry)
                {
                    if (!await heartbeats.AdmitAsync(topic.DeviceId, message.Boot, message.Seq))
                        return Reject(topic.DeviceId, kindName, "not_provisioned", null, topicName);
                    if (telemetry.TryEnqueue(model.Reading(topic.DeviceId, message, receivedAt))) metrics.Message(model.TypeName, kindName, "published");
                    return Results.Ok();
                }

                // The hot path calls the actor without remoting (ActorProxy.InvokeMethodAsync): the SDK's remoting proxy
                // copies its JsonSerializerOptions for every new proxy, so each call would build its JSON metadata afresh.
                // A commanded device's state and ack go together when they can (ReportPairing); a refused command's ack
                // has no state to wait for.
                var actor = actors.Create(new ActorId(topic.DeviceId), model.ActorType);
                var result = await pairing.IngestAsync(topic.DeviceId, new DeviceReport(kind, Encoding.UTF8.GetString(payload.Span), receivedAt),
                    new MessageOrder(message.Boot, message.Seq), mayPair: message is not DeviceAck { Ok: false },
                    reports => actor.InvokeMethodAsync<DeviceReport[], IngestResult[]>(nameof(IDeviceActor.Ingest), reports));
                if (result.Outcome == IngestOutcome.Rejected) return Reject(topic.DeviceId, kindName, result.Reason ?? "rejected", null, topicName);
                metrics.Message(model.TypeName, kindName, result.Outcome == IngestOutcome.Applied ? "applied" : "duplicate");
                return Results.Ok();
            }
            // The sidecar could not be reached, could not route the call (placement moving, the service stopping) or
            // the actor failed: the SDK reports each of these as one of the two. Telemetry asks the actor too, when the
            // device's heartbeat is due (HeartbeatGate).
            catch (Exception e) when (e is DaprApiException or HttpRequestException)
            {
                metrics.Message(model.TypeName, kindName, "failed", "actor");
                actorFailures.Failed(topic.DeviceId, kindName, e);
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "The device's actor did not take the message; deliver it again", detail: e.Message);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private IResult Reject(string device, string kind, string reason, string? field, string topic)
    {
        metrics.Message(model.TypeName, kind, "rejected", reason);
        rejections.Rejected(device, kind, reason, field, topic);
        return Results.Ok();
    }

    /// <summary>Reads up to <see cref="MaxBody"/> + 1 bytes: enough to tell a message that is too large.</summary>
    private static async Task<int> ReadBodyAsync(HttpRequest request, byte[] buffer)
    {
        var total = 0;
        int read;
        while (total < MaxBody + 1 && (read = await request.Body.ReadAsync(buffer.AsMemory(total, MaxBody + 1 - total))) > 0) total += read;
        return total;
    }

    /// <summary>The device id a malformed topic seems to name, for the log only.</summary>
    private static string DeviceIdOf(string topic)
    {
        var parts = topic.Split('/');
        return parts.Length >= 3 && parts[2].Length is > 0 and <= 64 ? parts[2] : "(unknown)";
    }
}
