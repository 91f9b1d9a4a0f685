using System.Text.Json;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Model;
using PresenceState = DaprIoT.Contracts.Devices.PresenceState;
using WirePresence = DaprIoT.Contracts.Wire.PresenceStatus;

namespace DaprIoT.DeviceTwins.Twin;

/// <summary>
/// The rules of a twin, apart from Dapr: how device messages, user commands and the passing of time change a
/// <see cref="TwinState"/>. Every operation fills a <see cref="TwinUpdate"/> that the actor carries out (send,
/// publish, save, schedule). Time is whatever the caller says it is, so tests need no clocks and no sleeps.
/// </summary>
/// <remarks>
/// Ordering: a <c>state</c> is applied only if its <c>(boot, seq)</c> is above the last applied state, and a
/// <c>presence</c> likewise (the last will, <c>seq</c> 0, by arrival). Acks are not ordered against states: the
/// binding may deliver an ack and the state after it in either order, and an ack is idempotent by command id.
/// </remarks>
public sealed class TwinEngine(DeviceModel model, TwinOptions options, TwinState twin)
{
    public const string ReasonConnected = "connected";
    public const string ReasonDisconnected = "disconnected";
    public const string ReasonConnectionLost = "connection lost";
    public const string ReasonMissedHeartbeats = "missed heartbeats";
    public const string ReasonHeard = "heard from";

    public TwinState Twin { get; } = twin;
    public DeviceModel Model { get; } = model;
    public TwinOptions Options { get; } = options;

    public void Provision(string owner, string name, TwinUpdate update)
    {
        var first = !Twin.Provisioned;
        Twin.Provisioned = true;
        Twin.Owner = owner;
        Twin.Name = name;
        update.Changed(first ? DeviceChanges.Provisioned : DeviceChanges.Renamed);
    }

    public void Rename(string name, TwinUpdate update)
    {
        if (Twin.Name == name) return;
        Twin.Name = name;
        update.Changed(DeviceChanges.Renamed);
    }

    /// <summary>A validated device message. <paramref name="now"/> is when the platform received it.</summary>
    public TwinUpdate Apply(DeviceMessage message, DateTimeOffset now, TwinUpdate update) => message switch
    {
        DeviceAck ack => ApplyAck(ack, now, update),
        DevicePresence presence => ApplyPresence(presence, now, update),
        _ => ApplyState(message, now, update),
    };

    /// <summary>The device's telemetry arrived: it is alive. Telemetry itself does not pass through the twin.</summary>
    public TwinUpdate Heard(MessageOrder order, DateTimeOffset now, TwinUpdate update)
    {
        Twin.Presence.LastSeen = now;
        // Silence had marked it offline, or the platform has not heard its presence yet: it is evidently connected.
        if (Twin.Presence.Status == PresenceState.Unknown
            || (Twin.Presence.Status == PresenceState.Offline && Twin.Presence.Reason == ReasonMissedHeartbeats))
        {
            StartEpoch(order.Boot, now);
            SetPresence(PresenceState.Online, ReasonHeard, now, update);
            Resync(now, update);
            // It connected while the platform was not listening, so its state on connecting was missed: ask again.
            if (Twin.LastState is null || Twin.LastState.Value.Boot < order.Boot) RequestReport(now, update);
        }

        return update;
    }

    private TwinUpdate ApplyState(DeviceMessage state, DateTimeOffset now, TwinUpdate update)
    {
        var order = new MessageOrder(state.Boot, state.Seq);
        if (Twin.LastState is { } last && order <= last) return update.Ignore($"state ({order.Boot}, {order.Seq}) is not newer than ({last.Boot}, {last.Seq})");
        Twin.LastState = order;
        update.Save = true;
        Heard(order, now, update);

        var reportedChanged = false;
        foreach (var (name, value) in Model.Reported(state))
        {
            var property = Property(name);
            reportedChanged |= !PropertySpec.SameValue(property.Reported, value);
            property.Reported = value;
            property.ReportedAt = now;
            if (property.CommandId is null)
            {
                // Nothing in flight: the device's own change becomes what is wanted, unless a user's wish is still unmet.
                if (Model.Find(name)?.Writable == true && (property.Status == SyncStatus.Applied || property.Desired is null)
                    && !PropertySpec.SameValue(property.Desired, value))
                {
                    property.Desired = value;
                    update.Changed(DeviceChanges.Desired);
                }

                if (PropertySpec.SameValue(property.Desired, value) || property.Desired is null) property.Status = SyncStatus.Applied;
            }
            else if (PropertySpec.SameValue(property.Desired, value))
            {
                property.Status = SyncStatus.Applied;
            }
        }

        if (reportedChanged) update.Changed(DeviceChanges.Reported);

        // An acknowledged command is applied once the device reports its values. The binding may deliver the state
        // the device sent just before its ack after the ack, so a match counts whatever its order; a mismatch counts
        // only in a state sent after the ack, which shows the command did not take.
        foreach (var command in Twin.Commands.Where(c => c.Status == CommandStatus.Received).ToList())
            if (AllReported(command) || (command.AckedAt is { } acked && order > acked))
                Conclude(command, now, update);
        return update;
    }

    private TwinUpdate ApplyAck(DeviceAck ack, DateTimeOffset now, TwinUpdate update)
    {
        var order = new MessageOrder(ack.Boot, ack.Seq);
        Heard(order, now, update);
        var command = ack.Id is null ? null : Twin.Commands.FirstOrDefault(c => c.Id == ack.Id);
        if (command is null || command.Status != CommandStatus.Pending) return update.Ignore($"no command '{ack.Id}' awaits an ack");

        command.UpdatedAt = now;
        command.NextAttemptAt = null;
        if (ack.Ok)
        {
            command.Status = CommandStatus.Received;
            command.AckedAt = order;
            update.Changed(DeviceChanges.Command);
            // The state may have come first: then the command is already seen to have taken. And once a state from after
            // the ack has been applied, that was the state that shows whether it took: no later one is owed.
            if (AllReported(command) || (Twin.LastState is { } last && last > order)) Conclude(command, now, update);
        }
        else
        {
            command.Status = CommandStatus.Rejected;
            command.Error = ack.Message is null ? ack.Error : $"{ack.Error}: {ack.Message}";
            foreach (var (_, property, _) in Tracked(command))
            {
                property.Status = SyncStatus.Rejected;
                property.CommandId = null;
            }

            update.Changed(DeviceChanges.Command);
        }

        Trim();
        return update;
    }

    private TwinUpdate ApplyPresence(DevicePresence presence, DateTimeOffset now, TwinUpdate update)
    {
        var order = new MessageOrder(presence.Boot, presence.Seq);
        var isLastWill = presence.Status == WirePresence.Offline && presence.Seq == 0;
        if (isLastWill)
        {
            if (presence.Boot < Twin.Presence.EpochBoot) return update.Ignore("last will of an earlier boot");
            if (presence.Boot == Twin.Presence.EpochBoot && Twin.Presence.EpochStartedAt is { } started && now - started < Options.TakeoverGrace)
                return update.Ignore("last will of the connection the current one replaced");
            if (Twin.Presence.Status == PresenceState.Offline) return update.Ignore("already offline");
            SetPresence(PresenceState.Offline, ReasonConnectionLost, now, update);
            return update;
        }

        if (Twin.LastPresence is { } last && order <= last) return update.Ignore($"presence ({order.Boot}, {order.Seq}) is not newer than ({last.Boot}, {last.Seq})");
        Twin.LastPresence = order;
        update.Save = true;
        if (presence.Status == WirePresence.Offline)
        {
            SetPresence(PresenceState.Offline, ReasonDisconnected, now, update);
            return update;
        }

        Twin.Presence.LastSeen = now;
        var detailsChanged = Twin.Presence.HeartbeatS != presence.HeartbeatS || Twin.Presence.Firmware != presence.Fw;
        Twin.Presence.HeartbeatS = presence.HeartbeatS;
        Twin.Presence.Firmware = presence.Fw;
        StartEpoch(presence.Boot, now);
        if (!SetPresence(PresenceState.Online, ReasonConnected, now, update) && detailsChanged) update.Changed(DeviceChanges.Presence);
        update.WatchHeartbeat = true;
        Resync(now, update);
        return update;
    }

    /// <summary>
    /// Called by the heartbeat watch: after <see cref="TwinOptions.MissedHeartbeats"/> heartbeat periods of silence
    /// the device is offline. Returns whether to keep watching.
    /// </summary>
    public bool CheckHeartbeat(DateTimeOffset now, TwinUpdate update)
    {
        if (Twin.Presence.Status != PresenceState.Online) return false;
        if (Twin.Presence.LastSeen is { } seen && now - seen <= HeartbeatLimit) return true;
        SetPresence(PresenceState.Offline, ReasonMissedHeartbeats, now, update);
        return false;
    }

    /// <summary>How long a device may stay silent before it is offline.</summary>
    public TimeSpan HeartbeatLimit => TimeSpan.FromSeconds(Options.MissedHeartbeats * (Twin.Presence.HeartbeatS ?? Options.DefaultHeartbeatS));

    /// <summary>
    /// After a restart the platform has not been listening: the device gets a whole heartbeat window from now
    /// before silence counts against it.
    /// </summary>
    public void Activated(DateTimeOffset now)
    {
        if (Twin.Presence.Status == PresenceState.Online && (Twin.Presence.LastSeen is not { } seen || seen < now)) Twin.Presence.LastSeen = now;
    }

    /// <summary>Tells a presence change held back by damping, if it still holds.</summary>
    public void AnnouncePresence(DateTimeOffset now, TwinUpdate update)
    {
        var presence = Twin.Presence;
        if (presence.AnnouncedStatus == presence.Status) return;
        if (presence.AnnouncedAt is { } told && now - told < Options.PresenceDamping)
        {
            update.AnnouncePresenceAt = told + Options.PresenceDamping;
            return;
        }

        presence.AnnouncedStatus = presence.Status;
        presence.AnnouncedAt = now;
        update.Changed(DeviceChanges.Presence);
    }

    /// <summary>
    /// A user's wish: validated values become desired and travel in a new command, which takes over those
    /// properties from older commands still in flight (an older one left with nothing to carry is superseded).
    /// Sent now if the device is online, else when it comes back.
    /// </summary>
    public CommandRecord Issue(string name, IReadOnlyDictionary<string, JsonElement> values, DateTimeOffset now, TwinUpdate update)
    {
        var command = new CommandRecord
        {
            Id = Guid.NewGuid().ToString("N"),
            Name = name,
            Values = new Dictionary<string, JsonElement>(values),
            CreatedAt = now,
            UpdatedAt = now,
            TurnsOff = Model.TurnsOff(name, values),
        };
        Twin.Commands.Insert(0, command);
        var takenOver = new Dictionary<string, List<string>>();
        foreach (var (property, value) in Model.Effects(name, values))
        {
            var record = Property(property);
            var previous = record.CommandId;
            record.Desired = value;
            record.Status = SyncStatus.Pending;
            record.CommandId = command.Id;
            if (previous is null) continue;
            if (!takenOver.TryGetValue(previous, out var taken)) takenOver[previous] = taken = [];
            taken.Add(property);
        }

        foreach (var (previous, properties) in takenOver) TakeOver(previous, properties, now, update);

        update.Changed(DeviceChanges.Desired);
        update.Changed(DeviceChanges.Command);
        if (Twin.Presence.Status == PresenceState.Online) Send(command, now, update);
        Trim();
        return command;
    }

    /// <summary>Re-sends what is due and not acknowledged, or gives up on it. Called by the command reminder.</summary>
    public void RetryDue(DateTimeOffset now, TwinUpdate update)
    {
        foreach (var command in Twin.Commands.Where(c => c.Status == CommandStatus.Pending && c.NextAttemptAt <= now).ToList())
        {
            if (Twin.Presence.Status != PresenceState.Online)
            {
                // It waits for the device: the resync on its return carries it.
                command.NextAttemptAt = null;
                update.Save = true;
            }
            else if (!command.TurnsOff && command.Attempts >= Options.CommandMaxAttempts)
            {
                Finish(command, CommandStatus.Failed, $"no ack after {command.Attempts} sends", SyncStatus.Stale, now, update);
            }
            else
            {
                Send(command, now, update);
            }
        }

        Trim();
    }

    /// <summary>When the next unacknowledged command is due to be sent again.</summary>
    public DateTimeOffset? NextCommandDue() =>
        Twin.Commands.Where(c => c.Status == CommandStatus.Pending && c.NextAttemptAt is not null).Min(c => c.NextAttemptAt);

    public DeviceTwinView View(string deviceId) => new(
        deviceId,
        Model.TypeName,
        Twin.Provisioned,
        Twin.Owner,
        Twin.Name,
        Twin.Version,
        new PresenceView(Twin.Presence.Status, Twin.Presence.Epoch, Twin.Presence.Since, Twin.Presence.LastSeen,
            Twin.Presence.HeartbeatS, Twin.Presence.Firmware, Twin.Presence.Reason),
        Twin.Properties.ToDictionary(p => p.Key, p => new PropertyView(p.Value.Desired, p.Value.Reported, p.Value.Status, p.Value.CommandId, p.Value.ReportedAt)),
        Twin.Commands.Select(c => new CommandView(c.Id, c.Name, c.Values, c.Status, c.Attempts, c.CreatedAt, c.UpdatedAt, c.Error)).ToList(),
        Twin.Program is { } program
            ? new ProgramView(program.CommandId, program.TargetTempC, program.DurationS, program.StartedAt, program.EndsAt, program.Phase,
                program.ElapsedS, program.Status, program.EndedBy, program.EndedAt)
            : null);

    /// <summary>Ends an operation: a change means a new version.</summary>
    public void Commit(TwinUpdate update)
    {
        if (update.Changes.Count > 0) Twin.Version++;
    }

    private void StartEpoch(uint boot, DateTimeOffset now)
    {
        Twin.Presence.Epoch++;
        Twin.Presence.EpochBoot = boot;
        Twin.Presence.EpochStartedAt = now;
    }

    /// <summary>Returns whether the status changed.</summary>
    private bool SetPresence(PresenceState status, string reason, DateTimeOffset now, TwinUpdate update)
    {
        var presence = Twin.Presence;
        if (presence.Status == status) return false;
        presence.Status = status;
        presence.Reason = reason;
        presence.Since = now;
        update.Save = true;
        if (status == PresenceState.Online) update.WatchHeartbeat = true;
        AnnouncePresence(now, update);
        return true;
    }

    /// <summary>
    /// A device that (re)connects gets one <c>set</c> with every desired value still pending (it takes over the
    /// older commands), and the other pending commands (program start and stop) again as they were.
    /// </summary>
    private void Resync(DateTimeOffset now, TwinUpdate update)
    {
        var pending = Twin.Commands.Where(c => c.Status == CommandStatus.Pending).ToList();
        if (pending.Count == 0) return;
        var pendingSets = pending.Where(c => c.Name == DeviceModel.SetCommand).Select(c => c.Id).ToHashSet();
        var values = Twin.Properties
            .Where(p => p.Value.CommandId is { } id && pendingSets.Contains(id) && p.Value.Desired is not null)
            .ToDictionary(p => p.Key, p => p.Value.Desired!.Value);
        foreach (var other in pending.Where(c => c.Name != DeviceModel.SetCommand).Reverse()) Send(other, now, update);
        if (values.Count > 0) Issue(DeviceModel.SetCommand, values, now, update);
    }

    /// <summary>A <c>report</c> is not tracked: its answer is a state, which the twin applies like any other.</summary>
    private void RequestReport(DateTimeOffset now, TwinUpdate update) =>
        update.ToSend.Add(new CommandRecord { Id = Guid.NewGuid().ToString("N"), Name = DeviceModel.ReportCommand, CreatedAt = now, UpdatedAt = now, Attempts = 1 });

    private void Send(CommandRecord command, DateTimeOffset now, TwinUpdate update)
    {
        command.Attempts++;
        command.UpdatedAt = now;
        var delay = Options.CommandRetryDelay * Math.Pow(2, Math.Min(command.Attempts - 1, 16));
        command.NextAttemptAt = now + (delay < Options.CommandRetryMaxDelay ? delay : Options.CommandRetryMaxDelay);
        update.ToSend.Add(command);
        update.Save = true;
    }

    /// <summary>An acknowledged command whose properties the device now reports: applied if they match, else failed.</summary>
    private void Conclude(CommandRecord command, DateTimeOffset now, TwinUpdate update)
    {
        var differing = Tracked(command).Where(p => !PropertySpec.SameValue(p.Property.Reported, p.Value)).ToList();
        if (differing.Count == 0)
            Finish(command, CommandStatus.Applied, null, SyncStatus.Applied, now, update);
        else
            Finish(command, CommandStatus.Failed,
                "the device reports " + string.Join(", ", differing.Select(d => $"{d.Name}={d.Property.Reported?.GetRawText() ?? "nothing"}")) + " after acknowledging",
                SyncStatus.Stale, now, update);
    }

    private void Finish(CommandRecord command, CommandStatus status, string? error, SyncStatus propertyStatus, DateTimeOffset now, TwinUpdate update)
    {
        command.Status = status;
        command.Error = error;
        command.UpdatedAt = now;
        command.NextAttemptAt = null;
        foreach (var (_, property, _) in Tracked(command))
        {
            property.Status = propertyStatus;
            property.CommandId = null;
        }

        update.Changed(DeviceChanges.Command);
    }

    /// <summary>
    /// A newer command took these properties over from an older one in flight. An older <c>set</c> that still carries
    /// others stops carrying these, so that its re-sends do not undo the newer command; one left with nothing to
    /// carry is superseded (and keeps its values, to show what it asked for).
    /// </summary>
    private void TakeOver(string commandId, List<string> properties, DateTimeOffset now, TwinUpdate update)
    {
        var command = Twin.Commands.FirstOrDefault(c => c.Id == commandId);
        if (command is not { InFlight: true }) return;
        if (Twin.Properties.Values.Any(p => p.CommandId == commandId))
        {
            if (command.Name != DeviceModel.SetCommand)
            {
                // A program start or stop cannot be sent in part. Taken by the device already, it stays as it is;
                // not yet taken, it goes whole (re-sent later, a start would undo the newer stop), and the values it
                // still carried are left without a command.
                if (command.Status == CommandStatus.Received) return;
                foreach (var released in Twin.Properties.Values.Where(p => p.CommandId == commandId))
                {
                    released.CommandId = null;
                    released.Status = PropertySpec.SameValue(released.Reported, released.Desired) ? SyncStatus.Applied : SyncStatus.Stale;
                }
            }
            else
            {
                foreach (var property in properties) command.Values.Remove(property);
                command.TurnsOff = Model.TurnsOff(command.Name, command.Values);
                command.UpdatedAt = now;
                update.Changed(DeviceChanges.Command);
                return;
            }
        }

        command.Status = CommandStatus.Superseded;
        command.UpdatedAt = now;
        command.NextAttemptAt = null;
        update.Changed(DeviceChanges.Command);
    }

    private bool AllReported(CommandRecord command) => Tracked(command).All(p => PropertySpec.SameValue(p.Property.Reported, p.Value));

    /// <summary>The properties this command still carries (a newer command may have taken some over).</summary>
    private IEnumerable<(string Name, PropertyRecord Property, JsonElement Value)> Tracked(CommandRecord command)
    {
        foreach (var (name, value) in Model.Effects(command.Name, command.Values))
            if (Twin.Properties.TryGetValue(name, out var property) && property.CommandId == command.Id)
                yield return (name, property, value);
    }

    private PropertyRecord Property(string name)
    {
        if (!Twin.Properties.TryGetValue(name, out var property)) Twin.Properties[name] = property = new PropertyRecord();
        return property;
    }

    /// <summary>Keeps every command in flight and the most recent finished ones.</summary>
    private void Trim()
    {
        var finished = Twin.Commands.Where(c => !c.InFlight).OrderByDescending(c => c.UpdatedAt).Skip(Options.FinishedCommandsKept).ToHashSet();
        if (finished.Count > 0) Twin.Commands.RemoveAll(finished.Contains);
    }
}
