using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.PubSub.Brokers;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// Delivers one subscription's messages to the app as daprd's HTTP postman does: builds the CloudEvent body, picks
/// the route, POSTs it, and reads the answer (§4.5). Retriable failures are retried by the component's inbound
/// resiliency policy from this sidecar; when that is exhausted (at once without a policy) the message goes to the
/// dead-letter topic if there is one, otherwise the failure goes back to the broker. DROP, 404, expired and
/// unroutable events are acknowledged, counted and logged (and copied to the dead-letter topic if there is one).
/// </summary>
internal sealed class SubscriptionDelivery
{
    private readonly SidecarContext _sidecar;
    private readonly IPubSubBroker _broker;
    private readonly IReadOnlyList<(RouteExpression? Match, string Path)> _routes;
    private readonly PubSubStatistics _statistics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    public SubscriptionDelivery(SubscriptionSpec spec, SidecarContext sidecar, IPubSubBroker broker,
        PubSubStatistics statistics, TimeProvider clock, ILogger logger)
    {
        Spec = spec;
        _sidecar = sidecar;
        _broker = broker;
        _statistics = statistics;
        _clock = clock;
        _logger = logger;
        _routes = CompileRoutes(spec);
    }

    public SubscriptionSpec Spec { get; }

    /// <summary>Compiles the rules in order, then the default route; a rule without <c>match</c> always matches.</summary>
    public static IReadOnlyList<(RouteExpression? Match, string Path)> CompileRoutes(SubscriptionSpec spec)
    {
        var routes = new List<(RouteExpression?, string)>();
        for (var i = 0; i < spec.Rules.Count; i++)
        {
            var rule = spec.Rules[i];
            try
            {
                routes.Add((string.IsNullOrWhiteSpace(rule.Match) ? null : RouteExpression.Parse(rule.Match), Normalize(rule.Path)));
            }
            catch (FormatException e)
            {
                throw new ConfigurationException(spec.Source,
                    $"subscription to '{spec.Topic}' on '{spec.PubsubName}' routes.rules[{i}].match",
                    $"'{rule.Match}' cannot be used: {e.Message}");
            }
        }
        if (spec.DefaultPath is { } path) routes.Add((null, Normalize(path)));
        return routes;
    }

    public async Task HandleAsync(BrokerMessage message, CancellationToken cancellationToken)
    {
        DeliveredEvent delivered;
        byte[] body;
        if (Spec.RawPayload)
        {
            var envelope = CloudEvents.FromRawPayload(message.Data, Spec.PubsubName, message.Topic, message.Metadata);
            delivered = DeliveredEvent.Of(envelope);
            body = CloudEvents.Serialize(envelope);
        }
        else if (DeliveredEvent.Read(message.Data) is { } stored)
        {
            delivered = stored;
            body = message.Data;
            if (delivered.HasExpired(_clock.GetUtcNow()))
            {
                await DropAsync(message, delivered, $"expired at {delivered.Expiration}", cancellationToken);
                return;
            }
        }
        else
        {
            await FailAsync(message, "?", "the message is not a CloudEvent (not a JSON object); subscribe with rawPayload to receive raw payloads", cancellationToken);
            return;
        }

        string? path;
        try
        {
            path = Route(delivered);
        }
        catch (RouteEvaluationException e)
        {
            await FailAsync(message, delivered.IdForLog, $"routing rule failed: {e.Message}", cancellationToken);
            return;
        }
        if (path is null)
        {
            await DropAsync(message, delivered, "no routing rule matched and there is no default route", cancellationToken);
            return;
        }
        await DeliverAsync(message, delivered, body, path, cancellationToken);
    }

    /// <summary>
    /// The path of the first matching rule, else the default; null when nothing matches. Throws
    /// <see cref="RouteEvaluationException"/>. Only a rule with a <c>match</c> makes the event be parsed whole.
    /// </summary>
    public string? Route(DeliveredEvent delivered)
    {
        try
        {
            return _routes.FirstOrDefault(r => r.Match is null || r.Match.Matches(delivered.Nodes)).Path;
        }
        catch (ArgumentException e)
        {
            // JSON nodes refuse an object with a key twice, when it is first looked into.
            throw new RouteEvaluationException($"the event cannot be read as JSON nodes: {e.Message}");
        }
    }

    private async Task DeliverAsync(BrokerMessage message, DeliveredEvent delivered, byte[] body, string path, CancellationToken cancellationToken)
    {
        var policies = _sidecar.Resiliency.ForComponentInbound(Spec.PubsubName);
        (Outcome Outcome, string Reason) result;
        try
        {
            // Each attempt applies the timeout itself, so a late answer becomes a RETRY that says so.
            result = await PolicyRunner.RunAsync(policies is null ? null : policies with { Timeout = null },
                ct => SendAsync(message, delivered, body, path, policies?.Timeout, ct), _clock, cancellationToken,
                isFailure: r => r.Item1 == Outcome.Retry,
                onRetry: (retry, reason) => PubSubLog.Retrying(_logger, Spec.PubsubName, message.Topic, delivered.IdForLog, retry, reason));
        }
        catch (CircuitBreakerOpenException e)
        {
            result = (Outcome.Retry, e.Message);
        }
        switch (result.Outcome)
        {
            case Outcome.Success:
                _statistics.CountDelivered();
                return;
            case Outcome.Drop:
                await DropAsync(message, delivered, result.Reason, cancellationToken);
                return;
            default:
                await FailAsync(message, delivered.IdForLog, result.Reason, cancellationToken);
                return;
        }
    }

    private enum Outcome { Success, Retry, Drop }

    private async Task<(Outcome, string)> SendAsync(BrokerMessage message, DeliveredEvent delivered, byte[] body, string path,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(CloudEvents.ContentType);
        foreach (var (key, value) in message.Metadata)
            request.Headers.TryAddWithoutValidation(key.ToLowerInvariant(), value);
        Replace(request, "pubsubname", Spec.PubsubName);
        var trace = EventTrace.ChildOf(delivered.Traceparent ?? delivered.Traceid, delivered.Tracestate);
        Replace(request, "traceparent", trace.Traceparent);
        if (trace.Tracestate.Length > 0) Replace(request, "tracestate", trace.Tracestate);
        if (delivered.Baggage is { Length: > 0 } baggage) Replace(request, "baggage", baggage);

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit) attempt.CancelAfter(limit);
        try
        {
            using var response = await _sidecar.App.SendAsync(request, attempt.Token);
            if (response.StatusCode == HttpStatusCode.NotFound) return (Outcome.Drop, "the app answered 404");
            if (!response.IsSuccessStatusCode) return (Outcome.Retry, $"the app answered {(int)response.StatusCode}");
            var answer = await response.Content.ReadAsByteArrayAsync(attempt.Token);
            return StatusOf(answer) switch
            {
                null or "" or "SUCCESS" => (Outcome.Success, ""),
                "RETRY" => (Outcome.Retry, "the app answered RETRY"),
                "DROP" => (Outcome.Drop, "the app answered DROP"),
                // Status strings are case-sensitive in daprd: anything else, "success" included, is a retriable failure.
                var other => (Outcome.Retry, $"the app answered the unknown status '{other}'"),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (Outcome.Retry, timeout is { } allowed ? $"the app did not answer within {allowed}" : "the request to the app was cancelled");
        }
        catch (HttpRequestException e)
        {
            return (Outcome.Retry, $"the app could not be reached: {e.Message}");
        }
    }

    /// <summary>
    /// The <c>status</c> of a 2xx answer, read as Go's encoding/json fills daprd's <c>AppResponse</c>: the key matches
    /// case-insensitively and the last match wins. Null when the body is empty, not a JSON object, or its status is
    /// not a string: all of which daprd treats as success.
    /// </summary>
    private static string? StatusOf(byte[] answer)
    {
        if (answer.Length == 0) return null;
        try
        {
            using var document = JsonDocument.Parse(answer);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
            JsonElement? status = null;
            foreach (var property in document.RootElement.EnumerateObject())
                if (property.Name.Equals("status", StringComparison.OrdinalIgnoreCase)) status = property.Value;
            // A non-string status fails Go's decoding and a null leaves it empty: both count as success in daprd.
            return status is { ValueKind: JsonValueKind.String } text ? text.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Acknowledges without delivery: counted, logged, and copied to the dead-letter topic if there is one.</summary>
    public async Task DropAsync(BrokerMessage message, DeliveredEvent delivered, string reason, CancellationToken cancellationToken)
    {
        _statistics.CountDropped();
        PubSubLog.Dropped(_logger, Spec.PubsubName, message.Topic, delivered.IdForLog, reason);
        if (Spec.DeadLetterTopic is not null) await DeadLetterAsync(message, delivered.IdForLog, reason, cancellationToken);
    }

    /// <summary>A retriable failure with no retries left: dead-letter it if possible, else hand it back to the broker.</summary>
    public async Task FailAsync(BrokerMessage message, string eventId, string reason, CancellationToken cancellationToken)
    {
        if (Spec.DeadLetterTopic is not null)
        {
            await DeadLetterAsync(message, eventId, reason, cancellationToken);
            return;
        }
        _statistics.CountReturnedToBroker();
        PubSubLog.ReturnedToBroker(_logger, Spec.PubsubName, message.Topic, eventId, reason);
        throw new DeliveryFailedException(reason);
    }

    private async Task DeadLetterAsync(BrokerMessage message, string eventId, string reason, CancellationToken cancellationToken)
    {
        try
        {
            // The original broker bytes: the CloudEvent still names the original topic.
            await _broker.PublishAsync(Spec.DeadLetterTopic!, message.Data, message.Metadata, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Logged, then counted: whoever sees the count finds the log line too.
            PubSubLog.ReturnedToBroker(_logger, Spec.PubsubName, message.Topic, eventId,
                $"{reason}; publishing to dead-letter topic {Spec.DeadLetterTopic} failed: {e.Message}");
            _statistics.CountReturnedToBroker();
            throw new DeliveryFailedException(reason);
        }
        PubSubLog.DeadLettered(_logger, Spec.PubsubName, message.Topic, eventId, Spec.DeadLetterTopic!, reason);
        _statistics.CountDeadLettered();
    }

    private static void Replace(HttpRequestMessage request, string header, string value)
    {
        request.Headers.Remove(header);
        request.Headers.TryAddWithoutValidation(header, value);
    }

    private static string Normalize(string path) => path.StartsWith('/') ? path : "/" + path;
}
