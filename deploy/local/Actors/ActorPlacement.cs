using System.Collections.Concurrent;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// The runtime's placement service, shared by every sidecar: which sidecars host which actor types, and for
/// each actor id the one sidecar where it may be active (a consistent-hash ring per type). When membership
/// changes, actors whose owner changed are deactivated at their old host (after their turn in progress, up to
/// <c>drainOngoingCallTimeout</c>, when <c>drainRebalancedActors</c>) before the new owner may activate them,
/// so an actor id is never active in two sidecars at once. Also keeps each hosted type's reminders.
/// </summary>
internal sealed partial class ActorPlacement : IAsyncDisposable
{
    private const int MaxReroutes = 100;

    private readonly TimeProvider _clock;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _membership = new(1, 1);
    private readonly List<ActorHost> _hosts = [];
    private readonly ConcurrentDictionary<string, ReminderTable> _reminders = new(StringComparer.Ordinal);

    // Guarded by TableLock.
    private Dictionary<string, HashRing> _rings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _handoffs = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = NewSignal();

    public ActorPlacement(TimeProvider clock, ILoggerFactory loggerFactory)
    {
        _clock = clock;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ActorPlacement>();
    }

    /// <summary>
    /// How long a call for a type no sidecar hosts waits for one to register before failing with
    /// <c>ERR_ACTOR_NO_ADDRESS</c>; daprd likewise retries the lookup while placement tables disseminate.
    /// </summary>
    public TimeSpan AddressLookupTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Held briefly to activate an actor or to change the table, so the two never interleave.</summary>
    public Lock TableLock { get; } = new();

    public ReminderTable? RemindersOf(string actorType) => _reminders.GetValueOrDefault(actorType);

    /// <summary>Adds a sidecar as host of its <see cref="ActorHost.Types"/>; loads and starts the reminders of types new to the runtime.</summary>
    public async Task RegisterAsync(ActorHost host, CancellationToken cancellationToken)
    {
        await _membership.WaitAsync(cancellationToken);
        try
        {
            if (_hosts.Contains(host)) return;
            if (host.Store is not { } store) throw new InvalidOperationException("An actor host needs an actor state store.");
            var fresh = new Dictionary<string, ReminderTable>(StringComparer.Ordinal);
            try
            {
                foreach (var type in host.Types.Keys.Where(t => !_reminders.ContainsKey(t)))
                {
                    fresh[type] = new ReminderTable(host.AppId, type, store, this, _clock, _loggerFactory.CreateLogger<ReminderTable>());
                    await fresh[type].LoadAsync(cancellationToken);
                }
            }
            catch
            {
                foreach (var table in fresh.Values) table.Dispose();
                throw;
            }
            foreach (var (type, table) in fresh) _reminders[type] = table;
            _hosts.Add(host);
            await RebalanceAsync(departing: null, cancellationToken);
            foreach (var table in fresh.Values) table.Start();
            Log.Registered(_logger, host.InstanceId, string.Join(", ", host.Types.Keys));
        }
        finally
        {
            _membership.Release();
        }
    }

    /// <summary>
    /// Removes a sidecar: its actors are deactivated (drained as configured, or at once when
    /// <paramref name="cancellationToken"/> fires) and placed elsewhere on their next call.
    /// </summary>
    public async Task UnregisterAsync(ActorHost host, CancellationToken cancellationToken)
    {
        await _membership.WaitAsync(CancellationToken.None);
        try
        {
            if (!_hosts.Remove(host)) return;
            await RebalanceAsync(departing: host, cancellationToken);
            foreach (var type in host.Types.Keys)
            {
                if (!_reminders.TryGetValue(type, out var table)) continue;
                var remaining = _hosts.FirstOrDefault(h => h.Hosts(type));
                if (remaining is null)
                {
                    _reminders.TryRemove(type, out _);
                    table.Dispose();
                }
                else if (table.Store == host.Store && remaining.Store is { } store)
                {
                    table.UseStore(store);
                }
            }
            Log.Unregistered(_logger, host.InstanceId);
        }
        finally
        {
            _membership.Release();
        }
    }

    /// <summary>
    /// Runs one call on the actor wherever it is placed, activating it there if needed. Waits while the actor
    /// is being handed over between hosts. Throws <see cref="DaprApiException"/> when no sidecar hosts the type.
    /// </summary>
    public async Task<ActorCallResult> InvokeAsync(ActorCall call, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxReroutes; attempt++)
        {
            var host = await ResolveAsync(call.ActorType, call.ActorId, cancellationToken);
            if (await host.InvokeAsync(call, cancellationToken) is { } result) return result;
        }
        throw ActorErrors.Invoke($"actor {call.ActorType}/{call.ActorId} kept moving between hosts");
    }

    /// <summary>The activation for the actor on <paramref name="host"/>, or null when the actor is not placed there (now).</summary>
    public ActiveActor? Activate(ActorHost host, string actorType, string actorId)
    {
        lock (TableLock)
        {
            if (!host.Hosts(actorType) || Owner(actorType, actorId) != host) return null;
            if (_handoffs.ContainsKey(ActorCall.ActorKey(actorType, actorId))) return null;
            return host.GetOrActivateUnderTableLock(actorType, actorId);
        }
    }

    public bool IsOwner(ActorHost host, string actorType, string actorId)
    {
        lock (TableLock) return Owner(actorType, actorId) == host;
    }

    public async ValueTask DisposeAsync()
    {
        List<ActorHost> hosts;
        await _membership.WaitAsync();
        try
        {
            hosts = [.. _hosts];
        }
        finally
        {
            _membership.Release();
        }
        foreach (var host in hosts) await UnregisterAsync(host, CancellationToken.None);
        foreach (var table in _reminders.Values) table.Dispose();
        _reminders.Clear();
    }

    private ActorHost? Owner(string actorType, string actorId) =>
        _rings.TryGetValue(actorType, out var ring) ? ring.Lookup(actorId) : null;

    private async Task<ActorHost> ResolveAsync(string actorType, string actorId, CancellationToken cancellationToken)
    {
        var deadline = _clock.GetUtcNow() + AddressLookupTimeout;
        var key = ActorCall.ActorKey(actorType, actorId);
        while (true)
        {
            Task wait;
            bool handingOver;
            lock (TableLock)
            {
                handingOver = _handoffs.TryGetValue(key, out var handoff);
                if (handoff is not null) wait = handoff.Task;
                else if (Owner(actorType, actorId) is { } owner) return owner;
                else wait = _changed.Task;
            }
            if (wait.IsCompleted) continue;
            if (handingOver)
            {
                await wait.WaitAsync(cancellationToken);
                continue;
            }
            var remaining = deadline - _clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero) throw ActorErrors.NoAddress(actorType, actorId);
            await Task.WhenAny(wait, Task.Delay(remaining, _clock, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task RebalanceAsync(ActorHost? departing, CancellationToken cancellationToken)
    {
        var rings = _hosts
            .SelectMany(host => host.Types.Keys.Select(type => (type, host)))
            .GroupBy(pair => pair.type, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => new HashRing(group.Select(pair => pair.host)), StringComparer.Ordinal);

        var moving = new List<(ActorHost Host, ActiveActor Actor, TaskCompletionSource Done)>();
        lock (TableLock)
        {
            _rings = rings;
            var hosts = departing is null ? _hosts : [.. _hosts, departing];
            foreach (var host in hosts)
            {
                foreach (var actor in host.ActiveUnderTableLock)
                {
                    // An actor already being deactivated (idle) is handed over too, so its new owner waits for the DELETE.
                    if (Owner(actor.ActorType, actor.ActorId) == host || _handoffs.ContainsKey(actor.Key)) continue;
                    var done = NewSignal();
                    _handoffs[actor.Key] = done;
                    moving.Add((host, actor, done));
                }
            }
            _changed.TrySetResult();
            _changed = NewSignal();
        }

        await Task.WhenAll(moving.Select(async move =>
        {
            try
            {
                var settings = move.Actor.Settings;
                await move.Host.DeactivateAsync(move.Actor,
                    settings.DrainRebalancedActors ? settings.DrainOngoingCallTimeout : null, onlyIfIdle: false, cancellationToken);
            }
            finally
            {
                lock (TableLock) _handoffs.Remove(move.Actor.Key);
                move.Done.TrySetResult();
            }
        }));
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Sidecar {InstanceId} hosts actor types {ActorTypes}")]
        public static partial void Registered(ILogger logger, string instanceId, string actorTypes);

        [LoggerMessage(Level = LogLevel.Information, Message = "Sidecar {InstanceId} no longer hosts actors")]
        public static partial void Unregistered(ILogger logger, string instanceId);
    }
}
