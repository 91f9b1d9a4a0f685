using System.Net.Http.Headers;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// The actor host inside one sidecar: the activations placed on it, their turns, idle deadlines and timers,
/// and the calls to its app. Whether an actor may be activated here is decided by <see cref="ActorPlacement"/>.
/// </summary>
internal sealed partial class ActorHost
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "TE", "Trailer", "Proxy-Connection",
        "Proxy-Authorization", "Expect", "Content-Length", "Content-Type", "dapr-api-token",
    };

    private readonly SidecarContext _sidecar;
    private readonly ActorPlacement _placement;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    // Guarded by ActorPlacement.TableLock, so that activations and placement changes never interleave.
    private readonly Dictionary<string, ActiveActor> _active = new(StringComparer.Ordinal);

    public ActorHost(SidecarContext sidecar, ActorPlacement placement, TimeProvider clock)
    {
        _sidecar = sidecar;
        _placement = placement;
        _clock = clock;
        _logger = sidecar.LoggerFactory.CreateLogger<ActorHost>();
    }

    public string AppId => _sidecar.AppId;

    public string InstanceId => _sidecar.InstanceId;

    /// <summary>The types this sidecar hosts; empty until it registers with placement.</summary>
    public IReadOnlyDictionary<string, ActorTypeSettings> Types { get; private set; } = new Dictionary<string, ActorTypeSettings>();

    /// <summary>This sidecar's actor state store, or null when no component has <c>actorStateStore: "true"</c>.</summary>
    public IStateStore? Store =>
        _sidecar.ActorStateStoreName is { } name && _sidecar.StateStores.TryGetValue(name, out var store) ? store : null;

    public bool Hosts(string actorType) => Types.ContainsKey(actorType);

    /// <summary>The Resiliency policies this sidecar applies to calls it makes to actors of the type, or null.</summary>
    public TargetPolicies? PoliciesFor(string actorType) => _sidecar.Resiliency.ForActorType(actorType);

    public void Configure(IReadOnlyDictionary<string, ActorTypeSettings> types) => Types = types;

    public bool IsActive(string actorType, string actorId)
    {
        lock (_placement.TableLock) return _active.ContainsKey(ActorCall.ActorKey(actorType, actorId));
    }

    public IReadOnlyDictionary<string, int> ActiveCounts()
    {
        var counts = Types.Keys.ToDictionary(type => type, _ => 0, StringComparer.Ordinal);
        lock (_placement.TableLock)
        {
            foreach (var actor in _active.Values) counts[actor.ActorType] = counts.GetValueOrDefault(actor.ActorType) + 1;
        }
        return counts;
    }

    /// <summary>Only under <see cref="ActorPlacement.TableLock"/>.</summary>
    internal IEnumerable<ActiveActor> ActiveUnderTableLock => _active.Values;

    /// <summary>Only under <see cref="ActorPlacement.TableLock"/>, after placement checked that this host owns the actor.</summary>
    internal ActiveActor GetOrActivateUnderTableLock(string actorType, string actorId)
    {
        var key = ActorCall.ActorKey(actorType, actorId);
        if (_active.TryGetValue(key, out var actor)) return actor;
        var settings = Types[actorType];
        actor = new ActiveActor(actorType, actorId, settings, _clock.GetUtcNow());
        actor.IdleTimer = new DeadlineTimer(_clock, _clock.GetUtcNow() + settings.IdleTimeout, () => OnIdleDeadline(actor));
        _active[key] = actor;
        return actor;
    }

    /// <summary>
    /// Runs one turn on the actor: activates it here if needed, waits for its turn, calls the app. Returns null
    /// when the actor is not (or no longer) placed on this host, so the caller looks it up again.
    /// </summary>
    public async Task<ActorCallResult?> InvokeAsync(ActorCall call, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_placement.Activate(this, call.ActorType, call.ActorId) is not { } actor) return null;
            var chain = actor.Settings.ReentrancyEnabled ? call.ReentrancyId ?? Guid.NewGuid().ToString() : null;
            actor.AddPending();
            try
            {
                await actor.Turn.EnterAsync(chain, actor.Settings.MaxStackDepth, cancellationToken);
                try
                {
                    if (actor.Deactivated) continue;
                    if (!_placement.IsOwner(this, call.ActorType, call.ActorId)) return null;
                    return await SendAsync(actor, call, chain, cancellationToken);
                }
                finally
                {
                    actor.Touch(_clock.GetUtcNow());
                    actor.Turn.Exit();
                }
            }
            finally
            {
                actor.RemovePending();
                ArmIdleDeadline(actor);
            }
        }
    }

    /// <summary>Registers (or replaces) a timer on an actor active in this sidecar.</summary>
    public void CreateTimer(string actorType, string actorId, string name, string callback, string? data,
        string? dueTime, string? period, string? ttl)
    {
        ActiveActor? actor;
        lock (_placement.TableLock) _active.TryGetValue(ActorCall.ActorKey(actorType, actorId), out actor);
        if (actor is null || actor.Deactivated)
            throw ActorErrors.TimerCreate($"can't create timer for actor {actorType}||{actorId}: actor not activated");

        var now = _clock.GetUtcNow();
        ActorSchedule schedule;
        try
        {
            schedule = ActorSchedule.Create("timer", $"{actorType}||{actorId}||{name}", dueTime, period, ttl, now);
        }
        catch (FormatException e)
        {
            throw ActorErrors.TimerCreate(e.Message);
        }

        var timer = new ActorTimer(name, callback, data, dueTime ?? "", period ?? "") { Schedule = schedule };
        lock (actor.Timers)
        {
            if (actor.Deactivated)
                throw ActorErrors.TimerCreate($"can't create timer for actor {actorType}||{actorId}: actor not activated");
            if (actor.Timers.Remove(name, out var previous)) previous.Dispose();
            actor.Timers[name] = timer;
            timer.Clock = new DeadlineTimer(_clock, schedule.NextDue, () => _ = FireTimerAsync(actor, timer));
        }
    }

    public void DeleteTimer(string actorType, string actorId, string name)
    {
        ActiveActor? actor;
        lock (_placement.TableLock) _active.TryGetValue(ActorCall.ActorKey(actorType, actorId), out actor);
        if (actor is null) return;
        lock (actor.Timers)
        {
            if (actor.Timers.Remove(name, out var timer)) timer.Dispose();
        }
    }

    /// <summary>
    /// Ends an activation: waits for the turn in progress (up to <paramref name="drainTimeout"/>, or not at all
    /// when null, or until <paramref name="cancellationToken"/> fires), stops its timers, tells the app with
    /// <c>DELETE /actors/{type}/{id}</c> and forgets it.
    /// </summary>
    public async Task DeactivateAsync(ActiveActor actor, TimeSpan? drainTimeout, bool onlyIfIdle, CancellationToken cancellationToken)
    {
        var entered = drainTimeout is { } timeout && await actor.Turn.TryEnterAsync(timeout, _clock, cancellationToken);
        try
        {
            if (actor.Deactivated) return;
            if (onlyIfIdle && !actor.IsIdle(_clock.GetUtcNow()))
            {
                ArmIdleDeadline(actor);
                return;
            }
            actor.Deactivated = true;
            actor.StopTimers();
            await SendDeactivationAsync(actor, cancellationToken);
            lock (_placement.TableLock)
            {
                if (_active.TryGetValue(actor.Key, out var current) && current == actor) _active.Remove(actor.Key);
            }
        }
        finally
        {
            if (entered) actor.Turn.Exit();
        }
    }

    private void OnIdleDeadline(ActiveActor actor)
    {
        if (actor.Deactivated || actor.Pending > 0) return;
        _ = DeactivateAsync(actor, actor.Settings.IdleTimeout, onlyIfIdle: true, CancellationToken.None);
    }

    private void ArmIdleDeadline(ActiveActor actor)
    {
        if (actor.Deactivated || actor.Pending > 0) return;
        // Deactivated meanwhile: the disposed timer ignores the change.
        actor.IdleTimer?.Change(_clock.GetUtcNow() + actor.Settings.IdleTimeout);
    }

    private async Task FireTimerAsync(ActiveActor actor, ActorTimer timer)
    {
        if (actor.Deactivated) return;
        var chain = actor.Settings.ReentrancyEnabled ? Guid.NewGuid().ToString() : null;
        var cancel = false;
        actor.AddPending();
        try
        {
            await actor.Turn.EnterAsync(chain, actor.Settings.MaxStackDepth, CancellationToken.None);
            try
            {
                lock (actor.Timers)
                {
                    if (actor.Deactivated || !actor.Timers.TryGetValue(timer.Name, out var current) || current != timer) return;
                }
                var call = new ActorCall(actor.ActorType, actor.ActorId, "timer/" + timer.Name, timer.Body,
                    "application/json", [], "", null);
                var result = await SendAsync(actor, call, chain, CancellationToken.None);
                cancel = result.CancelsReminder;
                if (result.Status != StatusCodes.Status200OK || result.HasHeader(ActorCallResult.ErrorResponseHeader))
                    Log.TimerFailed(_logger, actor.ActorType, actor.ActorId, timer.Name, $"the app answered {result.Status}");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.TimerFailed(_logger, actor.ActorType, actor.ActorId, timer.Name, e.Message);
            }
            finally
            {
                actor.Touch(_clock.GetUtcNow());
                actor.Turn.Exit();
            }
        }
        finally
        {
            actor.RemovePending();
            ArmIdleDeadline(actor);
        }

        // A failed callback is not retried: the timer keeps its schedule, as in daprd.
        lock (actor.Timers)
        {
            if (!actor.Timers.TryGetValue(timer.Name, out var current) || current != timer) return;
            var next = cancel ? null : timer.Schedule.AfterFiring(_clock.GetUtcNow());
            if (next is null)
            {
                actor.Timers.Remove(timer.Name);
                timer.Dispose();
                return;
            }
            timer.Schedule = next;
            timer.Clock?.Change(next.NextDue);
        }
    }

    private async Task<ActorCallResult> SendAsync(ActiveActor actor, ActorCall call, string? chain, CancellationToken cancellationToken)
    {
        var method = string.Join('/', call.Method.Split('/').Select(Uri.EscapeDataString));
        var path = $"/actors/{Uri.EscapeDataString(actor.ActorType)}/{Uri.EscapeDataString(actor.ActorId)}/method/{method}{call.QueryString}";
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(path, UriKind.Relative))
        {
            Content = new ByteArrayContent(call.Body),
        };
        if (call.ContentType is { } contentType) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        foreach (var (name, value) in call.Headers)
        {
            if (HopByHop.Contains(name) || string.Equals(name, "Dapr-Reentrancy-Id", StringComparison.OrdinalIgnoreCase)) continue;
            if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content.Headers.TryAddWithoutValidation(name, value);
        }
        if (chain is not null) request.Headers.TryAddWithoutValidation("Dapr-Reentrancy-Id", chain);

        try
        {
            using var response = await _sidecar.App.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var headers = new List<KeyValuePair<string, string>>();
            Collect(response.Headers, headers);
            Collect(response.Content.Headers, headers);
            return new ActorCallResult((int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString(), headers);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw ActorErrors.Invoke($"error from actor service: {e.Message}");
        }
    }

    private static void Collect(HttpHeaders source, List<KeyValuePair<string, string>> target)
    {
        foreach (var (name, values) in source)
        {
            if (HopByHop.Contains(name)) continue;
            foreach (var value in values) target.Add(new(name, value));
        }
    }

    private async Task SendDeactivationAsync(ActiveActor actor, CancellationToken cancellationToken)
    {
        var path = $"/actors/{Uri.EscapeDataString(actor.ActorType)}/{Uri.EscapeDataString(actor.ActorId)}";
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(path, UriKind.Relative));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _clock);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            using var response = await _sidecar.App.SendAsync(request, stop.Token);
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
                Log.DeactivationFailed(_logger, actor.ActorType, actor.ActorId, $"the app answered {(int)response.StatusCode}");
            else
                Log.Deactivated(_logger, actor.ActorType, actor.ActorId);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            // The activation is dropped anyway, as daprd does; the app may already be gone.
            Log.DeactivationFailed(_logger, actor.ActorType, actor.ActorId, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Actor {ActorType}/{ActorId} deactivated")]
        public static partial void Deactivated(ILogger logger, string actorType, string actorId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Deactivating actor {ActorType}/{ActorId} failed: {Reason}; the activation is dropped anyway")]
        public static partial void DeactivationFailed(ILogger logger, string actorType, string actorId, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Timer {TimerName} of actor {ActorType}/{ActorId} failed: {Reason}; it keeps its schedule")]
        public static partial void TimerFailed(ILogger logger, string actorType, string actorId, string timerName, string reason);
    }
}
