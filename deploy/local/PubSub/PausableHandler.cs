using DaprIoT.LocalRuntime.PubSub.Brokers;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// Sits between a broker consumer and the delivery to the app so that the consumer can outlive an app run. While the
/// app is down the subscription is paused: the consumer stays attached, so the broker keeps its queue or consumer
/// group (a RabbitMQ queue with <c>deletedWhenUnused</c> would be deleted with its last consumer), and messages wait
/// here unacknowledged until <see cref="Resume"/> hands them to the next app run's delivery. A delivery cut short by
/// the pause is made again after resuming, as the broker would redeliver it.
/// </summary>
internal sealed class PausableHandler
{
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly string _pubsub;
    private readonly Lock _gate = new();
    private MessageHandler? _target;
    private TaskCompletionSource _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource _run = new();

    public PausableHandler(MessageHandler target, string pubsub, TimeProvider clock, ILogger logger)
    {
        _pubsub = pubsub;
        _clock = clock;
        _logger = logger;
        Resume(target);
    }

    /// <summary>Holds new messages and cancels the deliveries in progress (they are made again after resuming).</summary>
    public void Pause()
    {
        CancellationTokenSource run;
        lock (_gate)
        {
            if (_target is null) return;
            _target = null;
            _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            run = _run;
        }
        run.Cancel();
    }

    /// <summary>Delivers through <paramref name="target"/> from now on, starting with the messages held while paused.</summary>
    public void Resume(MessageHandler target)
    {
        lock (_gate)
        {
            _target = target;
            _run = new CancellationTokenSource();
            _resumed.TrySetResult();
        }
    }

    /// <summary>The broker's handler. <paramref name="cancellationToken"/> is the consumer's own: it ends the wait too.</summary>
    public async Task HandleAsync(BrokerMessage message, CancellationToken cancellationToken)
    {
        var held = false;
        while (true)
        {
            MessageHandler? target;
            Task resumed;
            CancellationToken run;
            lock (_gate)
            {
                target = _target;
                resumed = _resumed.Task;
                run = _run.Token;
            }
            if (target is null)
            {
                await resumed.WaitAsync(cancellationToken);
                held = true;
                continue;
            }
            if (held && message.ExpiresAt is { } expiresAt && expiresAt <= _clock.GetUtcNow())
            {
                PubSubLog.ExpiredWhileAppDown(_logger, _pubsub, message.Topic);
                return;
            }
            using var delivery = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, run);
            try
            {
                await target(message, delivery.Token);
                return;
            }
            catch (Exception) when (run.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Paused mid-delivery (cancelled, or failed because the app went away): neither acknowledged nor
                // failed back to the broker; wait for the next app run and deliver again.
            }
        }
    }
}
