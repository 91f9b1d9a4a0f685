using System.Text;
using Dapr.Actors.Runtime;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Broker;
using DaprIoT.DeviceTwins.Model;
using DaprIoT.DeviceTwins.Twin;
using Microsoft.Extensions.Logging;

namespace DaprIoT.DeviceTwins.Actors;

/// <summary>
/// A device's actor: it owns the device's twin, applies what the device reports, carries users' commands to it and
/// watches its presence. Dapr runs one activation per device and one call at a time, so nothing here locks. The twin
/// is read back from the actor's state on every activation; the rules are in <see cref="TwinEngine"/>, and this class
/// carries out what they decide: send commands through the MQTT output binding, publish <c>device-events</c>, save,
/// and keep the reminders (command re-sends, heartbeat watch) that make it all survive restarts.
/// </summary>
public abstract partial class DeviceActor(ActorHost host, DeviceModel model, DeviceActorServices services) : Actor(host), IDeviceActor, IRemindable
{
    private const string TwinKey = "twin";
    private const string CommandReminder = "commands";
    private const string HeartbeatReminder = "heartbeat";
    private const string PresenceTimer = "presence-settle";

    private TwinEngine? _engine;

    /// <summary>
    /// The twin's version when a turn last failed: that turn's event may have reached the bus, so the twin read back
    /// continues from it, and no two different events ever carry the same version.
    /// </summary>
    private long _versionOfFailedTurn;

    /// <summary>The last turn's commands on their way to the broker, if they still are.</summary>
    private Task _sending = Task.CompletedTask;

    protected DeviceModel Model { get; } = model;
    protected DeviceActorServices Services { get; } = services;
    protected string DeviceId => Id.GetId();
    protected TwinEngine Engine => _engine ?? throw new InvalidOperationException("the actor is not activated");
    protected TwinState Twin => Engine.Twin;
    protected DateTimeOffset Now => Services.Time.GetUtcNow();

    protected override Task OnActivateAsync() => LoadTwinAsync();

    /// <summary>A twin dropped by a failed turn (<see cref="OnActorMethodFailedAsync"/>) is read back before the next one.</summary>
    protected override async Task OnPreActorMethodAsync(ActorMethodContext actorMethodContext)
    {
        if (_engine is null) await LoadTwinAsync();
    }

    /// <summary>
    /// A turn that failed is forgotten. Its changes are already in the twin in memory, but its event was not published
    /// or its state not saved; the runtime drops the unsaved state, and so the twin is dropped too and read back from
    /// what was saved. The retry of what failed (the binding delivering the device's message again, a reminder firing
    /// again) then applies it afresh, instead of finding it applied already and answering success for a change that
    /// was never told nor saved.
    /// </summary>
    protected override Task OnActorMethodFailedAsync(ActorMethodContext actorMethodContext, Exception e)
    {
        if (_engine is not null) _versionOfFailedTurn = Math.Max(_versionOfFailedTurn, Twin.Version);
        _engine = null;
        return Task.CompletedTask;
    }

    private async Task LoadTwinAsync()
    {
        var saved = await StateManager.TryGetStateAsync<TwinState>(TwinKey);
        var twin = saved.HasValue ? saved.Value : new TwinState();
        // The saved reminder time may be wrong: a turn that failed after it registered or deleted the reminder saved
        // nothing. So it counts as unknown, and the next turn with a command pending registers the reminder again.
        twin.CommandReminderAt = null;
        twin.Version = Math.Max(twin.Version, _versionOfFailedTurn);
        _engine = new TwinEngine(Model, Services.Options, twin);
        Engine.Activated(Now);
    }

    public async Task<ProvisionResult> Provision(ProvisionRequest request)
    {
        var errors = new List<FieldError>();
        if (!DeviceTopic.IsValidDeviceId(DeviceId)) errors.Add(new FieldError("deviceId", "must be 1 to 32 characters of A-Z, a-z, 0-9, _ and -"));
        if (string.IsNullOrWhiteSpace(request.Owner)) errors.Add(new FieldError("owner", "is required"));
        ValidateName(request.Name, errors);
        // Provisioning again replaces the password (a lost one, a leaked one); only the owner may do that.
        if (Twin.Provisioned && Twin.Owner != request.Owner) errors.Add(new FieldError("deviceId", $"{DeviceId} belongs to another owner"));
        if (errors.Count > 0) return new ProvisionResult(false, DeviceId, null, null, errors);

        var password = BrokerAccounts.NewPassword();
        await Services.Broker.CreateDeviceAsync(DeviceId, password);
        var update = new TwinUpdate();
        Engine.Provision(request.Owner, request.Name.Trim(), update);
        await CarryOutAsync(update);
        return new ProvisionResult(true, DeviceId, DeviceId, password, []);
    }

    public async Task Remove()
    {
        if (!Twin.Provisioned) return;
        await Services.Broker.DeleteDeviceAsync(DeviceId);
        foreach (var reminder in new[] { CommandReminder, HeartbeatReminder })
            await UnregisterReminderAsync(reminder);
        await OnRemovingAsync();
        Twin.Version++;
        var removed = Engine.View(DeviceId) with { Provisioned = false };
        await PublishAsync([DeviceChanges.Removed], removed);
        // Only the version stays, so a device provisioned again under this id continues it and its events are never
        // taken for older than the removal.
        _engine = new TwinEngine(Model, Services.Options, new TwinState { Version = Twin.Version });
        await StateManager.SetStateAsync(TwinKey, Twin);
    }

    public async Task<OperationResult> Rename(RenameRequest request)
    {
        var errors = new List<FieldError>();
        if (!Twin.Provisioned) errors.Add(new FieldError("deviceId", $"no {Model.TypeName} {DeviceId} is provisioned"));
        ValidateName(request.Name, errors);
        if (errors.Count > 0) return new OperationResult(false, errors);
        var update = new TwinUpdate();
        Engine.Rename(request.Name.Trim(), update);
        await CarryOutAsync(update);
        return OperationResult.Success;
    }

    public Task<DeviceTwinView> GetTwin() => Task.FromResult(Engine.View(DeviceId));

    public async Task<IngestResult[]> Ingest(DeviceReport[] reports)
    {
        var update = new TwinUpdate();
        var results = new IngestResult[reports.Length];
        for (var i = 0; i < reports.Length; i++) results[i] = await ApplyAsync(reports[i], update);
        if (results.Any(r => r.Outcome != IngestOutcome.Rejected)) await CarryOutAsync(update);
        return results;
    }

    /// <summary>One device message into <paramref name="update"/>, which gathers what a turn's messages did.</summary>
    private async Task<IngestResult> ApplyAsync(DeviceReport report, TwinUpdate update)
    {
        if (!Twin.Provisioned) return new IngestResult(IngestOutcome.Rejected, "not_provisioned");
        if (report.Kind is MessageKind.Telemetry or MessageKind.Cmd) return new IngestResult(IngestOutcome.Rejected, "bad_topic");
        var decoded = WireCodec.DecodeReport(Model.Type, report.Kind, Encoding.UTF8.GetBytes(report.Payload));
        if (!decoded.Ok) return new IngestResult(IngestOutcome.Rejected, decoded.Error!.CodeName);

        update.Outcome = IngestOutcome.Applied;
        update.Reason = null;
        Engine.Apply(decoded.Value!, report.ReceivedAt, update);
        if (decoded.Value is not DeviceAck and not DevicePresence && update.Outcome == IngestOutcome.Applied)
            await OnStateAppliedAsync(decoded.Value!, report.ReceivedAt, update);
        return new IngestResult(update.Outcome, update.Reason);
    }

    public async Task<IngestResult> Heartbeat(DeviceHeartbeat heartbeat)
    {
        if (!Twin.Provisioned) return new IngestResult(IngestOutcome.Rejected, "not_provisioned");
        var update = Engine.Heard(new MessageOrder(heartbeat.Boot, heartbeat.Seq), heartbeat.ReceivedAt, new TwinUpdate());
        await CarryOutAsync(update);
        return new IngestResult(IngestOutcome.Applied);
    }

    public async Task ReceiveReminderAsync(string reminderName, byte[] state, TimeSpan dueTime, TimeSpan period)
    {
        var update = new TwinUpdate();
        switch (reminderName)
        {
            case CommandReminder:
                // Saved only if the retry changed a command: a reminder time in the past counts as none (see
                // ScheduleAsync), and most commands are applied long before their reminder comes.
                Twin.CommandReminderAt = null;
                Engine.RetryDue(Now, update);
                break;
            case HeartbeatReminder:
                if (!Engine.CheckHeartbeat(Now, update)) await UnregisterReminderAsync(HeartbeatReminder);
                break;
            default:
                await OnReminderAsync(reminderName, update);
                break;
        }

        await CarryOutAsync(update);
    }

    /// <summary>Timer callback: a presence change held back by damping is told now, if it still holds.</summary>
    public async Task AnnouncePresence(byte[]? state)
    {
        var update = new TwinUpdate();
        Engine.AnnouncePresence(Now, update);
        await CarryOutAsync(update);
    }

    /// <summary>Validates a patch and issues it as a <c>set</c> command.</summary>
    protected async Task<CommandResult> SetDesiredAsync(IEnumerable<KeyValuePair<string, System.Text.Json.JsonElement?>> patch)
    {
        if (!Twin.Provisioned) return NotProvisioned();
        var (values, errors) = Model.Validate(patch);
        if (errors.Count > 0) return new CommandResult(false, null, errors);
        return await IssueAsync(DeviceModel.SetCommand, values);
    }

    protected async Task<CommandResult> IssueAsync(string name, IReadOnlyDictionary<string, System.Text.Json.JsonElement> values, Action<CommandRecord, TwinUpdate>? andThen = null)
    {
        var update = new TwinUpdate();
        var command = Engine.Issue(name, values, Now, update);
        andThen?.Invoke(command, update);
        await CarryOutAsync(update);
        return new CommandResult(true, command.Id, []);
    }

    protected CommandResult NotProvisioned() =>
        new(false, null, [new FieldError("deviceId", $"no {Model.TypeName} {DeviceId} is provisioned")]);

    /// <summary>A device type's own reaction to a newer reported state (a cooker's program progress).</summary>
    protected virtual Task OnStateAppliedAsync(DeviceMessage state, DateTimeOffset receivedAt, TwinUpdate update) => Task.CompletedTask;

    /// <summary>A device type's own reminders.</summary>
    protected virtual Task OnReminderAsync(string reminderName, TwinUpdate update) => Task.CompletedTask;

    /// <summary>A device type's own bookkeeping after the twin's rules ran, before their outcome is carried out.</summary>
    protected virtual Task OnCarryingOutAsync(TwinUpdate update) => Task.CompletedTask;

    /// <summary>A device type's own schedules to cancel when the device is removed.</summary>
    protected virtual Task OnRemovingAsync() => Task.CompletedTask;

    /// <summary>
    /// Carries out what the twin's rules decided, in an order that loses nothing: the event is published and the
    /// reminders and timers are registered at once (neither depends on the other), and only once both have succeeded is
    /// the state saved (by the actor runtime when the call returns). A failure there fails the call, the turn is
    /// forgotten (<see cref="OnActorMethodFailedAsync"/>), and the caller (the binding, a reminder) tries again. If the
    /// failed turn's event did reach the bus, the change is then told twice, the second time with a newer version.
    /// Commands go out meanwhile, and the turn does not wait for the broker to take them (only for the previous turn's
    /// to have gone).
    /// </summary>
    /// <remarks>
    /// A command the broker has not taken is not lost: the turn that issued it saved it as pending with its re-send
    /// reminder, which sends it again. So a broker that is slow or away does not hold the device's actor: a command is
    /// accepted at once, and the device's own messages and every call that sends nothing are not kept waiting behind a
    /// send that may take the binding's full timeout; only the device's next command waits for this one to have gone.
    /// </remarks>
    protected async Task CarryOutAsync(TwinUpdate update)
    {
        await OnCarryingOutAsync(update);
        Engine.Commit(update);
        if (update.ToSend.Count > 0)
        {
            // One turn's commands on their way per device at most: a turn with commands waits for the previous turn's
            // to have gone. That keeps them in order, and bounds what a slow or hung broker leaves waiting in memory.
            await _sending;
            _sending = SendAsync([.. update.ToSend.Select(c => new Outgoing(c.Id, Model.ToWire(c.Id, c.Name, c.Values), c.Attempts > 1))]);
        }
        var published = update.Changes.Count > 0 ? PublishAsync(update.Changes.ToList(), Engine.View(DeviceId)) : Task.CompletedTask;
        var scheduled = ScheduleAsync(update);
        await Task.WhenAll(published, scheduled);
        if (update.Save) await StateManager.SetStateAsync(TwinKey, Twin);
    }

    /// <summary>
    /// Sends a turn's commands, each after the broker's PUBACK of the one before, so the device gets them in the order
    /// they were issued. A send that fails is counted and logged and left to the command's re-send reminder; the sends
    /// after it still go. Never fails.
    /// </summary>
    private async Task SendAsync(IReadOnlyList<Outgoing> commands)
    {
        foreach (var command in commands)
        {
            try
            {
                await Services.Commands.SendAsync(Model, DeviceId, command.Wire);
                Services.Metrics.CommandSent(Model.TypeName, command.Resend);
            }
            catch (Exception e)
            {
                Services.Metrics.CommandSendFailed(Model.TypeName);
                Log.SendFailed(Logger, command.Id, Model.TypeName, DeviceId, e);
            }
        }
    }

    private async Task ScheduleAsync(TwinUpdate update)
    {
        var now = Now;
        var next = Engine.NextCommandDue();
        if (next is { } due && (Twin.CommandReminderAt is not { } scheduled || due < scheduled || scheduled < now))
        {
            await RegisterReminderAsync(CommandReminder, null, Positive(due - now), Timeout.InfiniteTimeSpan);
            Twin.CommandReminderAt = due;
            update.Save = true;
        }
        else if (next is null && Twin.CommandReminderAt is { } unneeded && unneeded > now)
        {
            await CancelCommandReminderAsync(update);
        }

        if (update.WatchHeartbeat)
        {
            var limit = Engine.HeartbeatLimit;
            await RegisterReminderAsync(HeartbeatReminder, null, limit, limit);
        }

        if (update.AnnouncePresenceAt is { } announceAt)
            await RegisterTimerAsync(PresenceTimer, nameof(AnnouncePresence), null, Positive(announceAt - now), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Nothing is left to re-send (the device acked, or the commands ended): the re-send reminder would only fire for
    /// nothing, an actor turn and a call into this service per command. Deleted alongside the turn's event, so the
    /// turn that acks a command takes no longer. If the delete fails, the reminder stays and fires harmlessly.
    /// </summary>
    private async Task CancelCommandReminderAsync(TwinUpdate update)
    {
        try
        {
            await UnregisterReminderAsync(CommandReminder);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.ReminderNotCancelled(Logger, Model.TypeName, DeviceId, e);
            return;
        }

        Twin.CommandReminderAt = null;
        update.Save = true;
    }

    private Task PublishAsync(IReadOnlyList<string> changes, DeviceTwinView twin) =>
        Services.Events.PublishAsync(new DeviceEvent(DeviceId, Model.TypeName, twin.Owner, twin.Version, Now, changes, twin));

    private static void ValidateName(string? name, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 64)
            errors.Add(new FieldError("name", "must be 1 to 64 characters"));
    }

    /// <summary>A due time from a moment that may have passed already: then now.</summary>
    protected static TimeSpan Positive(TimeSpan span) => span > TimeSpan.Zero ? span : TimeSpan.Zero;

    /// <summary>A command as it goes out, taken when its turn issued it: a later turn may change the record.</summary>
    private sealed record Outgoing(string Id, DeviceCommand Wire, bool Resend);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning,
            Message = "Sending command {CommandId} to {Type} {DeviceId} failed; its re-send reminder sends it again")]
        public static partial void SendFailed(ILogger logger, string commandId, string type, string deviceId, Exception error);

        [LoggerMessage(Level = LogLevel.Warning,
            Message = "Deleting the command re-send reminder of {Type} {DeviceId} failed; it fires once for nothing")]
        public static partial void ReminderNotCancelled(ILogger logger, string type, string deviceId, Exception error);
    }
}
