using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// The reminders of one actor type, runtime-wide: loaded from the actor state store when the first host of
/// the type registers, persisted on every change, fired through placement on whichever sidecar owns the actor
/// (activating it as needed). A failed delivery is retried 3 times, 1 s apart (the Scheduler's default policy);
/// a 404 from the app is not retried. One-shot reminders are deleted after their firing, periodic ones re-armed.
/// The table is kept in the store's partitions (<see cref="StoredReminder.Partitions"/>), each with its own lock and
/// entries: a change writes its partition only, and changes of actors in other partitions do not wait for it, so
/// tens of thousands of actors registering and deleting reminders neither queue behind one lock nor rescan them all.
/// </summary>
internal sealed partial class ReminderTable : IDisposable
{
    public const int MaxRetries = 3;
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private sealed class Entry(StoredReminder reminder)
    {
        public StoredReminder Reminder { get; set; } = reminder;
        public DeadlineTimer? Timer { get; set; }
    }

    /// <summary>One partition's reminders by key, and the lock every change of them (and its write) is made under.</summary>
    private sealed class Partition
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public Dictionary<string, Entry> Entries { get; } = new(StringComparer.Ordinal);
    }

    private readonly string _appId;
    private readonly string _actorType;
    private readonly ActorPlacement _placement;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Partition[] _partitions = [.. Enumerable.Range(0, StoredReminder.Partitions).Select(_ => new Partition())];
    private readonly CancellationTokenSource _stopping = new();
    private IStateStore _store;
    private volatile bool _started;
    private string? _unreadable;

    public ReminderTable(string appId, string actorType, IStateStore store, ActorPlacement placement, TimeProvider clock, ILogger logger)
    {
        _appId = appId;
        _actorType = actorType;
        _store = store;
        _placement = placement;
        _clock = clock;
        _logger = logger;
    }

    public IStateStore Store => _store;

    /// <summary>Switches persistence to another host's handle on the store, when the one in use goes away.</summary>
    public void UseStore(IStateStore store) => _store = store;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var reminders = new List<StoredReminder>();
        for (var partition = 0; partition < StoredReminder.Partitions; partition++)
        {
            var key = StoredReminder.StoreKey(_appId, _actorType, partition);
            var item = await _store.GetAsync(key, cancellationToken);
            if (item is null) continue;
            try
            {
                reminders.AddRange(StoredReminder.Deserialize(_actorType, item.Value));
            }
            catch (FormatException e)
            {
                // Never overwrite what cannot be read: changes are refused until the developer fixes or removes the key.
                _unreadable = $"the reminders stored under key '{key}' in state store '{_store.Name}' cannot be read: {e.Message}";
                Log.UnreadableReminders(_logger, key, _store.Name, e.Message);
            }
        }
        foreach (var group in reminders.GroupBy(r => r.Partition))
        {
            var partition = _partitions[group.Key];
            await partition.Gate.WaitAsync(cancellationToken);
            try
            {
                foreach (var reminder in group) partition.Entries[reminder.Key] = new Entry(reminder);
            }
            finally
            {
                partition.Gate.Release();
            }
        }
        Log.Loaded(_logger, reminders.Count, _actorType);
    }

    /// <summary>Arms every loaded reminder; ones already due fire at once.</summary>
    public void Start()
    {
        _started = true;
        foreach (var partition in _partitions)
        {
            partition.Gate.Wait();
            try
            {
                foreach (var entry in partition.Entries.Values) Arm(entry);
            }
            finally
            {
                partition.Gate.Release();
            }
        }
    }

    public async Task<StoredReminder?> GetAsync(string actorId, string name, CancellationToken cancellationToken)
    {
        var partition = _partitions[StoredReminder.PartitionOf(actorId)];
        await partition.Gate.WaitAsync(cancellationToken);
        try
        {
            return partition.Entries.TryGetValue($"{actorId}||{name}", out var entry) ? entry.Reminder : null;
        }
        finally
        {
            partition.Gate.Release();
        }
    }

    public async Task CreateAsync(StoredReminder reminder, bool overwrite, CancellationToken cancellationToken)
    {
        if (_unreadable is not null) throw ActorErrors.ReminderCreate(_unreadable);
        var partition = _partitions[reminder.Partition];
        await partition.Gate.WaitAsync(cancellationToken);
        try
        {
            if (partition.Entries.TryGetValue(reminder.Key, out var existing))
            {
                if (!overwrite) throw ActorErrors.ReminderAlreadyExists(reminder.Name);
                existing.Timer?.Dispose();
            }
            var entry = new Entry(reminder);
            partition.Entries[reminder.Key] = entry;
            try
            {
                await PersistAsync(reminder.Partition, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (existing is null) partition.Entries.Remove(reminder.Key);
                else
                {
                    partition.Entries[reminder.Key] = existing;
                    if (_started) Arm(existing);
                }
                throw ActorErrors.ReminderCreate(e.Message);
            }
            if (_started) Arm(entry);
        }
        finally
        {
            partition.Gate.Release();
        }
    }

    public async Task DeleteAsync(string actorId, string name, CancellationToken cancellationToken)
    {
        if (_unreadable is not null) throw ActorErrors.ReminderDelete(_unreadable);
        var partition = _partitions[StoredReminder.PartitionOf(actorId)];
        await partition.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!partition.Entries.Remove($"{actorId}||{name}", out var entry)) return;
            entry.Timer?.Dispose();
            try
            {
                await PersistAsync(entry.Reminder.Partition, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw ActorErrors.ReminderDelete(e.Message);
            }
        }
        finally
        {
            partition.Gate.Release();
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _started = false;
        foreach (var partition in _partitions)
        {
            partition.Gate.Wait();
            try
            {
                foreach (var entry in partition.Entries.Values) entry.Timer?.Dispose();
            }
            finally
            {
                partition.Gate.Release();
            }
        }
    }

    private void Arm(Entry entry)
    {
        entry.Timer?.Dispose();
        entry.Timer = new DeadlineTimer(_clock, entry.Reminder.NextDue, () => _ = FireAsync(entry));
    }

    private async Task FireAsync(Entry entry)
    {
        var reminder = entry.Reminder;
        var call = new ActorCall(reminder.ActorType, reminder.ActorId, "remind/" + reminder.Name,
            ActorCallbackBodies.Reminder(reminder.Data), "application/json", [], "", null);
        var cancel = false;
        for (var attempt = 0; ; attempt++)
        {
            string failure;
            var permanent = false;
            try
            {
                var result = await _placement.InvokeAsync(call, _stopping.Token);
                if (result.Status == StatusCodes.Status200OK && !result.HasHeader(ActorCallResult.ErrorResponseHeader))
                {
                    cancel = result.CancelsReminder;
                    break;
                }
                failure = $"the app answered {result.Status}";
                permanent = result.Status == StatusCodes.Status404NotFound;
            }
            catch (DaprApiException e)
            {
                failure = e.Message;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever went wrong, the reminder must keep its schedule: count it as a failed delivery.
                failure = e.Message;
            }
            if (permanent || attempt >= MaxRetries)
            {
                Log.DeliveryFailed(_logger, reminder.Name, reminder.ActorType, reminder.ActorId, attempt + 1, failure);
                break;
            }
            try
            {
                await Task.Delay(RetryInterval, _clock, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        var partition = _partitions[reminder.Partition];
        try
        {
            await partition.Gate.WaitAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            // Deleted or replaced while it was firing: the newer registration decides what happens next.
            if (!_started || !partition.Entries.TryGetValue(reminder.Key, out var current) || current != entry) return;
            var next = cancel ? null : reminder.Schedule.AfterFiring(_clock.GetUtcNow());
            if (next is null)
            {
                partition.Entries.Remove(reminder.Key);
                entry.Timer?.Dispose();
            }
            else
            {
                entry.Reminder = reminder.WithSchedule(next);
                Arm(entry);
            }
            try
            {
                await PersistAsync(reminder.Partition, _stopping.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.PersistFailed(_logger, _actorType, _store.Name, e.Message);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: what was persisted last is what the next start loads.
        }
        finally
        {
            partition.Gate.Release();
        }
    }

    /// <summary>Writes one partition's reminders (or removes its key when it has none left). Only under its gate.</summary>
    private Task PersistAsync(int partition, CancellationToken cancellationToken)
    {
        var key = StoredReminder.StoreKey(_appId, _actorType, partition);
        var reminders = _partitions[partition].Entries.Values.Select(e => e.Reminder).ToList();
        return reminders.Count == 0
            ? _store.DeleteAsync(new StateDelete(key), cancellationToken)
            : _store.SetAsync(new StateSet(key, StoredReminder.Serialize(reminders)), cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} reminders of actor type {ActorType}")]
        public static partial void Loaded(ILogger logger, int count, string actorType);

        [LoggerMessage(Level = LogLevel.Error, Message = "Reminders under key {Key} in state store {Store} cannot be read ({Problem}); they are not scheduled and changes to them are refused")]
        public static partial void UnreadableReminders(ILogger logger, string key, string store, string problem);

        [LoggerMessage(Level = LogLevel.Error, Message = "Reminder {Name} of actor {ActorType}/{ActorId} failed after {Attempts} attempts: {Reason}")]
        public static partial void DeliveryFailed(ILogger logger, string name, string actorType, string actorId, int attempts, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "Saving the reminders of actor type {ActorType} to state store {Store} failed: {Reason}")]
        public static partial void PersistFailed(ILogger logger, string actorType, string store, string reason);
    }
}
