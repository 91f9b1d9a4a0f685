using System.Text.Json;
using Dapr.Actors.Runtime;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Actors;
using DaprIoT.DeviceTwins.Model;
using DaprIoT.DeviceTwins.Twin;

namespace DaprIoT.SousVide;

/// <summary>
/// One cooker's twin (actor type <see cref="ActorTypes.SousVide"/>), with its cooking program. A program ends when
/// the cooker reports it done; should the cooker go silent, a durable reminder at the expected end turns the heater
/// off and records the end anyway — reminders outlive restarts of the service and of the Dapr runtime. The expected
/// end follows the cooker's reported progress (time held at the target so far).
/// </summary>
public sealed class SousVideActor(ActorHost host, SousVideModel model, DeviceActorServices services)
    : DeviceActor(host, model, services), ISousVideActor
{
    private const string ProgramEndReminder = "program-end";

    /// <summary>The expected end moves only by more than this, so steady progress reports do not re-register the reminder.</summary>
    private static readonly TimeSpan EndTolerance = TimeSpan.FromSeconds(5);

    public async Task<CommandResult> SetDesired(SousVideDesired patch)
    {
        var result = await SetDesiredAsync(
        [
            new(SousVideModel.Heater, patch.Heater is { } heater ? JsonSerializer.SerializeToElement(heater) : null),
            new(SousVideModel.TargetTempC, patch.TargetTempC is { } target ? JsonSerializer.SerializeToElement(target) : null),
        ]);
        // The cooker ends its program on a set with the heater; the twin does the same.
        if (result.Ok && patch.Heater is not null) await EndProgramAsync("user", result.CommandId!);
        return result;
    }

    public async Task<CommandResult> StartProgram(StartProgramRequest request)
    {
        if (!Twin.Provisioned) return NotProvisioned();
        var errors = new List<FieldError>();
        if (!model.Target.TryNormalize(JsonSerializer.SerializeToElement(request.TargetTempC), out var target))
            errors.Add(new FieldError("targetTempC", $"must be {model.Target.Allowed}"));
        if (request.DurationS is < 1 or > SousVideModel.MaxDurationS)
            errors.Add(new FieldError("durationS", $"must be a whole number of seconds from 1 to {SousVideModel.MaxDurationS} (72 hours)"));
        if (errors.Count > 0) return new CommandResult(false, null, errors);

        var now = Now;
        var endsAt = now + TimeSpan.FromSeconds(request.DurationS) + Services.Options.PreheatAllowance;
        // The end reminder first: if it cannot be registered, the call fails before the cooker is told to start. Should
        // the start fail after it, the reminder ends whatever program the twin then has running at that time: none, or
        // the one this start was to replace.
        await RegisterReminderAsync(ProgramEndReminder, null, endsAt - now, Timeout.InfiniteTimeSpan);
        return await IssueAsync(SousVideModel.StartProgramCommand,
            new Dictionary<string, JsonElement> { [SousVideModel.TargetTempC] = target, [SousVideModel.DurationS] = PropertySpec.Json(request.DurationS) },
            (command, update) =>
            {
                Twin.Program = new ProgramRecord
                {
                    CommandId = command.Id,
                    TargetTempC = target.GetDecimal(),
                    DurationS = request.DurationS,
                    StartedAt = now,
                    EndsAt = endsAt,
                };
                update.Changed(DeviceChanges.Program);
            });
    }

    public async Task<CommandResult> StopProgram()
    {
        if (!Twin.Provisioned) return NotProvisioned();
        if (Twin.Program is not { Status: ProgramStatus.Running })
            return new CommandResult(false, null, [new FieldError("program", "no program is running")]);
        var result = await IssueAsync(SousVideModel.StopProgramCommand, new Dictionary<string, JsonElement>(),
            (_, update) => Stop(Twin.Program, ProgramStatus.Stopped, "user", update));
        await UnregisterReminderAsync(ProgramEndReminder);
        return result;
    }

    protected override async Task OnStateAppliedAsync(DeviceMessage state, DateTimeOffset receivedAt, TwinUpdate update)
    {
        if (Twin.Program is not { Status: ProgramStatus.Running } program || ((SousVideState)state).Program is not { } reported) return;
        var phase = reported.Phase.ToString().ToLowerInvariant();
        if (program.Phase != phase || program.ElapsedS != reported.ElapsedS)
        {
            program.Phase = phase;
            program.ElapsedS = reported.ElapsedS;
            update.Changed(DeviceChanges.Program);
        }

        if (reported.Phase == ProgramPhase.Done)
        {
            Stop(program, ProgramStatus.Completed, "device", update);
            await UnregisterReminderAsync(ProgramEndReminder);
        }
        else if (reported.Phase == ProgramPhase.Cooking)
        {
            var endsAt = receivedAt + TimeSpan.FromSeconds(program.DurationS - reported.ElapsedS);
            if ((endsAt - program.EndsAt).Duration() > EndTolerance)
            {
                program.EndsAt = endsAt;
                await RegisterReminderAsync(ProgramEndReminder, null, Positive(endsAt - Now), Timeout.InfiniteTimeSpan);
            }
        }
    }

    protected override Task OnReminderAsync(string reminderName, TwinUpdate update)
    {
        if (reminderName != ProgramEndReminder || Twin.Program is not { Status: ProgramStatus.Running } program) return Task.CompletedTask;
        // The cooker did not report the end in time: the platform ends the program. Turning the heater off is never
        // given up on (see TwinOptions.CommandMaxAttempts).
        Engine.Issue(DeviceModel.SetCommand, new Dictionary<string, JsonElement> { [SousVideModel.Heater] = PropertySpec.Json(false) }, Now, update);
        Stop(program, ProgramStatus.Completed, "platform", update);
        return Task.CompletedTask;
    }

    protected override Task OnRemovingAsync() => UnregisterReminderAsync(ProgramEndReminder);

    /// <summary>
    /// A program whose start the cooker never took — refused, unanswered, or taken over by a newer command before it
    /// was — did not run: it ends here, and its end reminder goes.
    /// </summary>
    protected override async Task OnCarryingOutAsync(TwinUpdate update)
    {
        if (Twin.Program is not { Status: ProgramStatus.Running } program) return;
        var endedBy = Twin.Commands.FirstOrDefault(c => c.Id == program.CommandId)?.Status switch
        {
            CommandStatus.Rejected => "device",
            CommandStatus.Failed => "platform",
            CommandStatus.Superseded => "user",
            _ => null,
        };
        if (endedBy is null) return;
        Stop(program, ProgramStatus.Stopped, endedBy, update);
        await UnregisterReminderAsync(ProgramEndReminder);
    }

    private async Task EndProgramAsync(string by, string commandId)
    {
        if (Twin.Program is not { Status: ProgramStatus.Running } program || program.CommandId == commandId) return;
        var update = new TwinUpdate();
        Stop(program, ProgramStatus.Stopped, by, update);
        await CarryOutAsync(update);
        await UnregisterReminderAsync(ProgramEndReminder);
    }

    private void Stop(ProgramRecord program, ProgramStatus status, string by, TwinUpdate update)
    {
        program.Status = status;
        program.EndedBy = by;
        program.EndedAt = Now;
        update.Changed(DeviceChanges.Program);
    }
}
