using System.Net;
using System.Text.Json;
using CommunityToolkit.HighPerformance.Buffers;
using DaprIoT.LocalRuntime.PubSub.Brokers;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// Bulk subscribe (§4.8) as daprd's default bulk subscriber does it for components without native bulk support:
/// each message the broker hands over waits in a batch until the batch holds <c>maxMessagesCount</c> events or
/// <c>maxAwaitDurationMs</c> has passed since its first one. The batch is POSTed per route as one
/// <c>com.dapr.event.sent.bulk</c> envelope; the app answers a status per entry (a missing or empty status is a
/// RETRY, 404 drops them all, any other failure retries them all). Each entry then ends like a single delivery:
/// acknowledged, dropped, dead-lettered, or handed back to the broker.
/// </summary>
internal sealed class BulkSubscriptionDelivery(SubscriptionDelivery single, SidecarContext sidecar, PubSubStatistics statistics,
    TimeProvider clock, ILogger logger)
{
    private readonly Lock _gate = new();
    private List<Pending> _batch = [];

    private sealed record Pending(BrokerMessage Message, TaskCompletionSource Done);

    /// <param name="Event">The entry's <c>event</c> as JSON text, written into the bulk request as it is.</param>
    private sealed record Entry(Pending Pending, string EntryId, byte[] Event, string ContentType, DeliveredEvent Delivered);

    private enum Outcome { Success, Retry, Drop }

    private SubscriptionSpec Spec => single.Spec;

    public async Task HandleAsync(BrokerMessage message, CancellationToken cancellationToken)
    {
        var pending = new Pending(message, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        List<Pending>? full = null;
        lock (_gate)
        {
            _batch.Add(pending);
            if (_batch.Count >= Spec.BulkMaxMessagesCount)
            {
                full = _batch;
                _batch = [];
            }
            else if (_batch.Count == 1)
            {
                _ = FlushWhenDueAsync(_batch, cancellationToken);
            }
        }
        if (full is not null) _ = FlushAsync(full, cancellationToken);
        await pending.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task FlushWhenDueAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Spec.BulkMaxAwaitDurationMs), clock, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return; // stopping: every waiting handler sees the same cancellation
        }
        lock (_gate)
        {
            if (!ReferenceEquals(_batch, batch)) return; // already sent because it filled up
            _batch = [];
        }
        await FlushAsync(batch, cancellationToken);
    }

    private async Task FlushAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        try
        {
            var entries = new List<(string Path, Entry Entry)>();
            foreach (var pending in batch)
            {
                var message = pending.Message;
                DeliveredEvent delivered;
                byte[] @event;
                string contentType;
                if (Spec.RawPayload)
                {
                    delivered = DeliveredEvent.Of(CloudEvents.FromRawPayload(message.Data, Spec.PubsubName, message.Topic, message.Metadata));
                    @event = JsonSerializer.SerializeToUtf8Bytes(Convert.ToBase64String(message.Data));
                    contentType = "application/octet-stream";
                }
                else if (DeliveredEvent.Read(message.Data) is { } stored)
                {
                    // The stored event is one JSON object (it was just read through): it goes into the request as it is.
                    delivered = stored;
                    @event = message.Data;
                    contentType = CloudEvents.ContentType;
                    if (delivered.HasExpired(clock.GetUtcNow()))
                    {
                        await Settle(pending, () => single.DropAsync(message, delivered, $"expired at {delivered.Expiration}", cancellationToken));
                        continue;
                    }
                }
                else
                {
                    await Settle(pending, () => single.FailAsync(message, "?", "the message is not a CloudEvent (not a JSON object)", cancellationToken));
                    continue;
                }
                string? path;
                try
                {
                    path = single.Route(delivered);
                }
                catch (RouteEvaluationException e)
                {
                    await Settle(pending, () => single.FailAsync(message, delivered.IdForLog, $"routing rule failed: {e.Message}", cancellationToken));
                    continue;
                }
                if (path is null)
                {
                    await Settle(pending, () => single.DropAsync(message, delivered, "no routing rule matched and there is no default route", cancellationToken));
                    continue;
                }
                entries.Add((path, new Entry(pending, Guid.NewGuid().ToString(), @event, contentType, delivered)));
            }
            foreach (var group in entries.GroupBy(e => e.Path, e => e.Entry))
                await DeliverAsync(group.Key, [.. group], cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: nothing more is acknowledged; the broker keeps what was not.
            foreach (var pending in batch) pending.Done.TrySetCanceled(cancellationToken);
        }
        catch (Exception e)
        {
            foreach (var pending in batch) pending.Done.TrySetException(e);
        }
    }

    private async Task DeliverAsync(string path, List<Entry> entries, CancellationToken cancellationToken)
    {
        var policies = sidecar.Resiliency.ForComponentInbound(Spec.PubsubName);
        // Each attempt sends the entries still waiting, settles those that succeeded or were dropped, and fails when
        // some must be retried; it applies the timeout itself, so a late answer becomes a RETRY that says so.
        var waiting = entries;
        Dictionary<string, (Outcome Outcome, string Reason)> outcomes = [];
        try
        {
            await PolicyRunner.RunAsync(policies is null ? null : policies with { Timeout = null }, async ct =>
            {
                outcomes = await SendAsync(path, waiting, policies?.Timeout, ct);
                var again = new List<Entry>();
                foreach (var entry in waiting)
                {
                    var (outcome, reason) = outcomes[entry.EntryId];
                    switch (outcome)
                    {
                        case Outcome.Success:
                            statistics.CountDelivered();
                            entry.Pending.Done.TrySetResult();
                            break;
                        case Outcome.Drop:
                            await Settle(entry.Pending, () => single.DropAsync(entry.Pending.Message, entry.Delivered, reason, cancellationToken));
                            break;
                        default:
                            again.Add(entry);
                            break;
                    }
                }
                waiting = again;
                return again.Count;
            }, clock, cancellationToken,
                isFailure: remaining => remaining > 0,
                onRetry: (retry, _) => PubSubLog.Retrying(logger, Spec.PubsubName, Spec.Topic, $"{waiting.Count} bulk entries", retry,
                    outcomes[waiting[0].EntryId].Reason));
        }
        catch (CircuitBreakerOpenException e)
        {
            outcomes = waiting.ToDictionary(entry => entry.EntryId, _ => (Outcome.Retry, e.Message));
        }
        foreach (var entry in waiting)
            await Settle(entry.Pending, () => single.FailAsync(entry.Pending.Message, entry.Delivered.IdForLog,
                outcomes[entry.EntryId].Reason, cancellationToken));
    }

    private async Task<Dictionary<string, (Outcome Outcome, string Reason)>> SendAsync(string path, List<Entry> entries,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        // The body stays in its pooled buffer until the exchange is over.
        using var body = BulkRequest(entries);
        var content = new ReadOnlyMemoryContent(body.WrittenMemory);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.TryAddWithoutValidation("pubsubname", Spec.PubsubName);
        var trace = EventTrace.ChildOf(entries[0].Delivered.Traceparent, null);
        request.Headers.TryAddWithoutValidation("traceparent", trace.Traceparent);

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit) attempt.CancelAfter(limit);
        try
        {
            using var response = await sidecar.App.SendAsync(request, attempt.Token);
            if (response.StatusCode == HttpStatusCode.NotFound) return All(entries, Outcome.Drop, "the app answered 404");
            if (!response.IsSuccessStatusCode) return All(entries, Outcome.Retry, $"the app answered {(int)response.StatusCode}");
            var statuses = Statuses(await response.Content.ReadAsByteArrayAsync(attempt.Token));
            if (statuses is null) return All(entries, Outcome.Retry, "the app's answer is not {\"statuses\":[…]}");
            var outcomes = All(entries, Outcome.Retry, "the app answered no status for the entry");
            foreach (var (entryId, status) in statuses)
            {
                if (!outcomes.ContainsKey(entryId)) continue; // daprd ignores ids it did not send
                outcomes[entryId] = status switch
                {
                    "SUCCESS" => (Outcome.Success, ""),
                    "DROP" => (Outcome.Drop, "the app answered DROP"),
                    "RETRY" or "" => (Outcome.Retry, "the app answered RETRY"),
                    _ => (Outcome.Retry, $"the app answered the unknown status '{status}'"),
                };
            }
            return outcomes;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return All(entries, Outcome.Retry, timeout is { } allowed ? $"the app did not answer within {allowed}" : "the request to the app was cancelled");
        }
        catch (HttpRequestException e)
        {
            return All(entries, Outcome.Retry, $"the app could not be reached: {e.Message}");
        }
    }

    /// <summary>The <c>statuses</c> array, keys matched case-insensitively as Go's decoder does; null when the body does not decode.</summary>
    private static List<(string EntryId, string Status)>? Statuses(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
            var result = new List<(string, string)>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!property.Name.Equals("statuses", StringComparison.OrdinalIgnoreCase)) continue;
                if (property.Value.ValueKind != JsonValueKind.Array) return null;
                result.Clear();
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Object) return null;
                    string? id = null, status = null;
                    foreach (var field in item.EnumerateObject())
                    {
                        if (field.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)) return null;
                        if (field.Name.Equals("entryId", StringComparison.OrdinalIgnoreCase)) id = field.Value.GetString();
                        else if (field.Name.Equals("status", StringComparison.OrdinalIgnoreCase)) status = field.Value.GetString();
                    }
                    if (id is not null) result.Add((id, status ?? ""));
                }
            }
            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Dictionary<string, (Outcome, string)> All(List<Entry> entries, Outcome outcome, string reason) =>
        entries.ToDictionary(e => e.EntryId, _ => (outcome, reason));

    /// <summary>
    /// The bulk request daprd sends (<c>BulkSubscribeEnvelope</c>), written directly: each entry's event goes in as the
    /// JSON it is stored as, without being parsed into nodes and written out again. The body is often over 85,000 bytes
    /// (hundreds of events), so it is written into arrays from the shared pool rather than fresh ones on the large object
    /// heap, whose collection at thousands of events a second forced a full GC every few hundred milliseconds. Dispose
    /// the buffer after the exchange.
    /// </summary>
    private ArrayPoolBufferWriter<byte> BulkRequest(List<Entry> entries)
    {
        var buffer = new ArrayPoolBufferWriter<byte>(256 + entries.Sum(entry => entry.Event.Length + 128));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", Guid.NewGuid().ToString());
            writer.WriteString("type", "com.dapr.event.sent.bulk");
            writer.WriteString("topic", Spec.Topic);
            writer.WriteString("pubsubname", Spec.PubsubName);
            writer.WriteStartObject("metadata");
            writer.WriteString("pubsubname", Spec.PubsubName);
            writer.WriteEndObject();
            writer.WriteStartArray("entries");
            foreach (var entry in entries)
            {
                writer.WriteStartObject();
                writer.WriteString("entryId", entry.EntryId);
                writer.WritePropertyName("event");
                writer.WriteRawValue(entry.Event, skipInputValidation: true);
                writer.WriteString("contentType", entry.ContentType);
                writer.WriteStartObject("metadata");
                foreach (var (key, value) in entry.Pending.Message.Metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer;
    }

    /// <summary>Ends one entry's wait with the outcome of <paramref name="action"/>: done, or failed back to the broker.</summary>
    private static async Task Settle(Pending pending, Func<Task> action)
    {
        try
        {
            await action();
            pending.Done.TrySetResult();
        }
        catch (OperationCanceledException)
        {
            pending.Done.TrySetCanceled();
        }
        catch (Exception e)
        {
            pending.Done.TrySetException(e);
        }
    }
}
