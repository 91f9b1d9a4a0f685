using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.PubSub.Brokers;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.Sidecar.Grpc;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// The pub/sub building block of one sidecar: the publish API, and on start the app's subscriptions
/// (declarative ones scoped to it, then programmatic ones from <c>GET /dapr/subscribe</c>) consumed from the
/// brokers and delivered to the app. Stopping for an app restart (or failed health checks) pauses the broker
/// consumers rather than closing them, so queues and consumer groups, and what is published meanwhile, wait for
/// the app's next run; consumers close when the sidecar is disposed or the app no longer subscribes.
/// </summary>
public sealed class PubSubFeature : ISidecarFeature
{
    private static readonly TimeSpan SubscribeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ResubscribeDelay = TimeSpan.FromSeconds(2);
    private readonly SidecarContext _sidecar;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly PubSubComponents _components;
    private readonly Publisher _publisher;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly List<Consumed> _active = [];
    // Consumers kept while the app is down, for its next run to take over (only touched under _lifecycle).
    private readonly List<Consumed> _paused = [];
    private readonly List<Task> _resubscribing = [];
    private CancellationTokenSource? _running;

    public PubSubFeature(SidecarContext sidecar, TimeProvider clock)
    {
        _sidecar = sidecar;
        _clock = clock;
        _logger = sidecar.LoggerFactory.CreateLogger($"dapr-local.pubsub.{sidecar.InstanceId}");
        _components = new PubSubComponents(sidecar, _logger);
        _publisher = new Publisher(sidecar, _components, clock, _logger);
    }

    public PubSubStatistics Statistics { get; } = new();

    /// <summary>The subscriptions currently consumed, in the order they were started.</summary>
    public IReadOnlyList<SubscriptionSpec> Subscriptions
    {
        get
        {
            lock (_active) return [.. _active.Select(a => a.Delivery.Spec)];
        }
    }

    public void MapRoutes(IEndpointRouteBuilder routes) => new PublishEndpoint(_publisher).Map(routes);

    public void MapGrpc(GrpcApi api) => new PubSubGrpc(_publisher).Map(api);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (_running is not null) return;
            // daprd without an app port has no app channel and therefore no subscriptions at all.
            if (_sidecar.App.AppPort is null) return;
            var deliveries = Plan();
            _running = new CancellationTokenSource();
            foreach (var (delivery, handler, component) in deliveries)
            {
                if (_paused.FirstOrDefault(p => SameConsumer(p.Delivery.Spec, delivery.Spec)) is { } kept)
                {
                    _paused.Remove(kept);
                    kept.Handler.Resume(handler);
                    lock (_active) _active.Add(kept with { Delivery = delivery });
                    PubSubLog.Resumed(_logger, delivery.Spec.PubsubName, delivery.Spec.Topic);
                    continue;
                }
                if (!await TrySubscribeAsync(delivery, new PausableHandler(handler, delivery.Spec.PubsubName, _clock, _logger), component, _running.Token))
                    _resubscribing.Add(KeepSubscribingAsync(delivery, handler, component, _running.Token));
            }
            // The app's new run no longer subscribes to these: now their queues may go (as when daprd unsubscribes).
            await ClosePausedAsync();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Subscribes one topic. A broker that cannot be reached (not started yet, restarting) does not cost the app its
    /// subscription: the failure is logged and <see cref="KeepSubscribingAsync"/> tries again until it works.
    /// </summary>
    private async Task<bool> TrySubscribeAsync(SubscriptionDelivery delivery, PausableHandler handler, PubSubComponent component,
        CancellationToken running)
    {
        var spec = delivery.Spec;
        IAsyncDisposable? consumer;
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(running);
            attempt.CancelAfter(SubscribeTimeout);
            consumer = await component.Broker.SubscribeAsync(new BrokerSubscription(spec.Topic, spec.Metadata), handler.HandleAsync, attempt.Token);
        }
        catch (Exception e) when (!running.IsCancellationRequested)
        {
            PubSubLog.SubscribeFailed(_logger, spec.PubsubName, spec.Topic, ResubscribeDelay.TotalSeconds, e.Message);
            return false;
        }
        lock (_active)
        {
            if (!running.IsCancellationRequested)
            {
                _active.Add(new Consumed(delivery, consumer, handler));
                consumer = null;
            }
        }
        if (consumer is not null)
        {
            await consumer.DisposeAsync(); // stopped while subscribing
            return true;
        }
        PubSubLog.Subscribed(_logger, spec.PubsubName, spec.Topic, spec.Kind.ToString(), component.Broker switch
        {
            RedisStreamsBroker redis => redis.ConsumerId,
            RabbitMqBroker rabbit => rabbit.ConsumerId,
            _ => _sidecar.InstanceId,
        });
        return true;
    }

    private async Task KeepSubscribingAsync(SubscriptionDelivery delivery, MessageHandler handler, PubSubComponent component,
        CancellationToken running)
    {
        try
        {
            do await Task.Delay(ResubscribeDelay, _clock, running);
            while (!await TrySubscribeAsync(delivery, new PausableHandler(handler, delivery.Spec.PubsubName, _clock, _logger), component, running));
        }
        catch (Exception) when (running.IsCancellationRequested)
        {
            // Stopped before the broker came back.
        }
    }

    /// <summary>Chooses what to consume: every subscription is validated (routes compiled) before any is started.</summary>
    private List<(SubscriptionDelivery Delivery, MessageHandler Handler, PubSubComponent Component)> Plan()
    {
        var candidates = _sidecar.DeclarativeSubscriptions
            .Where(s => s.Scopes.Count == 0 || s.Scopes.Contains(_sidecar.AppId))
            .ToList();
        if (_sidecar.Discovery.Subscriptions is { } answer) candidates.AddRange(ProgrammaticSubscriptions.Parse(answer));

        var deliveries = new List<(SubscriptionDelivery, MessageHandler, PubSubComponent)>();
        var seen = new HashSet<(string, string)>();
        foreach (var spec in candidates)
        {
            if (!_components.TryGet(spec.PubsubName, out var component))
            {
                PubSubLog.SubscriptionIgnored(_logger, spec.PubsubName, spec.Topic, $"no pub/sub component '{spec.PubsubName}' is loaded for app '{_sidecar.AppId}'");
                continue;
            }
            if (!component.Scopes.MaySubscribe(spec.Topic))
            {
                PubSubLog.SubscriptionIgnored(_logger, spec.PubsubName, spec.Topic, $"app '{_sidecar.AppId}' may not subscribe to it (subscriptionScopes/allowedTopics/protectedTopics)");
                continue;
            }
            if (!seen.Add((spec.PubsubName, spec.Topic)))
            {
                PubSubLog.SubscriptionIgnored(_logger, spec.PubsubName, spec.Topic, $"the app already subscribes to it; this one from {spec.Source} is a duplicate");
                continue;
            }
            var single = new SubscriptionDelivery(spec, _sidecar, component.Broker, Statistics, _clock, _logger);
            MessageHandler handler = spec.BulkSubscribeEnabled
                ? new BulkSubscriptionDelivery(single, _sidecar, Statistics, _clock, _logger).HandleAsync
                : single.HandleAsync;
            deliveries.Add((single, handler, component));
        }
        return deliveries;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (_running is null) return;
            await _running.CancelAsync();
            await Task.WhenAll(_resubscribing);
            _resubscribing.Clear();
            lock (_active)
            {
                _paused.AddRange(_active);
                _active.Clear();
            }
            // In-flight deliveries are cancelled without acking; they and what arrives meanwhile wait for the next run.
            foreach (var consumed in _paused) consumed.Handler.Pause();
            _running.Dispose();
            _running = null;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Closes the paused consumers: the broker gets back what they held (RabbitMQ may delete their queues).</summary>
    private async Task ClosePausedAsync()
    {
        foreach (var consumed in _paused) await consumed.Consumer.DisposeAsync();
        _paused.Clear();
    }

    /// <summary>Whether a new run's subscription can take over a paused consumer: same topic, queue and broker options.</summary>
    private static bool SameConsumer(SubscriptionSpec paused, SubscriptionSpec wanted) =>
        paused.PubsubName == wanted.PubsubName && paused.Topic == wanted.Topic
        && paused.Metadata.Count == wanted.Metadata.Count
        && paused.Metadata.All(m => wanted.Metadata.TryGetValue(m.Key, out var value) && value == m.Value);

    private sealed record Consumed(SubscriptionDelivery Delivery, IAsyncDisposable Consumer, PausableHandler Handler);

    public void DescribeMetadata(JsonObject metadata)
    {
        var subscriptions = new JsonArray();
        foreach (var spec in Subscriptions)
        {
            var rules = new JsonArray();
            foreach (var rule in spec.Rules) rules.Add(new JsonObject { ["match"] = rule.Match, ["path"] = rule.Path });
            if (spec.DefaultPath is { } path) rules.Add(new JsonObject { ["match"] = "", ["path"] = path });
            var meta = new JsonObject();
            foreach (var (key, value) in spec.Metadata) meta[key] = value;
            var item = new JsonObject
            {
                ["type"] = spec.Kind == SubscriptionKind.Declarative ? "DECLARATIVE" : "PROGRAMMATIC",
                ["pubsubname"] = spec.PubsubName,
                ["topic"] = spec.Topic,
            };
            if (spec.DeadLetterTopic is { } deadLetter) item["deadLetterTopic"] = deadLetter;
            if (meta.Count > 0) item["metadata"] = meta;
            item["rules"] = rules;
            subscriptions.Add(item);
        }
        if (subscriptions.Count > 0) metadata["subscriptions"] = subscriptions;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        await _lifecycle.WaitAsync();
        try
        {
            await ClosePausedAsync();
        }
        finally
        {
            _lifecycle.Release();
        }
        await _components.DisposeAsync();
        _lifecycle.Dispose();
    }
}
