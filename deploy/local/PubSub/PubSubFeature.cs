using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.PubSub.Brokers;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// The pub/sub building block of one sidecar: the publish API, and on start the app's subscriptions
/// (declarative ones scoped to it, then programmatic ones from <c>GET /dapr/subscribe</c>) consumed from the
/// brokers and delivered to the app.
/// </summary>
public sealed class PubSubFeature : ISidecarFeature
{
    private readonly SidecarContext _sidecar;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly PubSubComponents _components;
    private readonly PublishEndpoint _publish;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly List<(SubscriptionDelivery Delivery, IAsyncDisposable Consumer)> _active = [];
    private CancellationTokenSource? _running;

    public PubSubFeature(SidecarContext sidecar, TimeProvider clock)
    {
        _sidecar = sidecar;
        _clock = clock;
        _logger = sidecar.LoggerFactory.CreateLogger($"dapr-local.pubsub.{sidecar.InstanceId}");
        _components = new PubSubComponents(sidecar, _logger);
        _publish = new PublishEndpoint(sidecar, _components, clock, _logger);
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

    public void MapRoutes(IEndpointRouteBuilder routes) => _publish.Map(routes);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (_running is not null) return;
            // daprd without an app port has no app channel and therefore no subscriptions at all.
            if (_sidecar.App.AppPort is null) return;
            var deliveries = Plan();
            var running = new CancellationTokenSource();
            try
            {
                foreach (var delivery in deliveries)
                {
                    var component = _components.TryGet(delivery.Spec.PubsubName, out var found) ? found : throw new InvalidOperationException();
                    var consumer = await component.Broker.SubscribeAsync(
                        new BrokerSubscription(delivery.Spec.Topic, delivery.Spec.Metadata),
                        (message, stop) => delivery.HandleAsync(message, stop), cancellationToken);
                    lock (_active) _active.Add((delivery, consumer));
                    PubSubLog.Subscribed(_logger, delivery.Spec.PubsubName, delivery.Spec.Topic, delivery.Spec.Kind.ToString(),
                        component.Broker is RedisStreamsBroker redis ? redis.ConsumerId
                        : component.Broker is RabbitMqBroker rabbit ? rabbit.ConsumerId : _sidecar.InstanceId);
                }
            }
            catch
            {
                await StopConsumersAsync();
                running.Dispose();
                throw;
            }
            _running = running;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Chooses what to consume: every subscription is validated (routes compiled) before any is started.</summary>
    private List<SubscriptionDelivery> Plan()
    {
        var candidates = _sidecar.DeclarativeSubscriptions
            .Where(s => s.Scopes.Count == 0 || s.Scopes.Contains(_sidecar.AppId))
            .ToList();
        if (_sidecar.Discovery.Subscriptions is { } answer) candidates.AddRange(ProgrammaticSubscriptions.Parse(answer));

        var deliveries = new List<SubscriptionDelivery>();
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
            if (spec.BulkSubscribeEnabled)
                PubSubLog.BulkSubscribeUnsupported(_logger, spec.PubsubName, spec.Topic);
            deliveries.Add(new SubscriptionDelivery(spec, _sidecar, component.Broker, Statistics, _clock, _logger));
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
            await StopConsumersAsync();
            _running.Dispose();
            _running = null;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task StopConsumersAsync()
    {
        List<IAsyncDisposable> consumers;
        lock (_active)
        {
            consumers = [.. _active.Select(a => a.Consumer)];
            _active.Clear();
        }
        // Stopping a consumer cancels in-flight deliveries without acking them: the broker keeps them for redelivery.
        foreach (var consumer in consumers) await consumer.DisposeAsync();
    }

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
        await _components.DisposeAsync();
        _lifecycle.Dispose();
    }
}
