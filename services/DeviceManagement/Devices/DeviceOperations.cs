using System.Text.Json;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.DeviceManagement.ReadModel;

namespace DaprIoT.DeviceManagement.Devices;

/// <summary>How an operation on a device ended: done (with its value), no such device of the caller, or refused with field errors.</summary>
public sealed record Outcome<T>(T? Value, bool NotFound, FieldErrors? Errors)
{
    public static Outcome<T> Done(T value) => new(value, false, null);

    public static Outcome<T> Unknown { get; } = new(default, true, null);

    public static Outcome<T> Invalid(FieldErrors errors) => new(default, false, errors);
}

/// <summary>
/// What a user may do to devices, for the REST API and the hub alike: every operation first finds the device among
/// the caller's own in the read model (another user's device is exactly as unknown as a device that does not exist),
/// checks the request, and only then calls the device's actor; the actor's own refusals come back as field errors.
/// </summary>
public sealed partial class DeviceOperations(DeviceStore store, DeviceActors actors, ILogger<DeviceOperations> logger)
{
    public Task<IReadOnlyList<DeviceTwinView>> ListAsync(string userId, CancellationToken cancellationToken) =>
        store.ListAsync(userId, cancellationToken);

    public Task<DeviceTwinView?> FindAsync(string userId, string deviceId, CancellationToken cancellationToken) =>
        store.FindOwnedAsync(userId, deviceId, cancellationToken);

    /// <summary>
    /// Provisions a new device for the user. Its twin and the user's index are written here, not only when its event
    /// arrives, so the owner sees it at once.
    /// </summary>
    public async Task<Outcome<ProvisionResult>> AddAsync(string userId, DeviceKind kind, string name, CancellationToken cancellationToken)
    {
        var deviceId = kind.NewDeviceId();
        var result = await actors.Provision(kind, deviceId, new ProvisionRequest(userId, name));
        if (!result.Ok) return Outcome<ProvisionResult>.Invalid(ErrorsOf(result.Errors));
        try
        {
            await store.SaveTwinAsync(await actors.GetTwin(kind, deviceId), cancellationToken);
            await store.AddToUserAsync(userId, deviceId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The device exists and its password is in this answer only: it must reach the user. The read model
            // catches up from the device's provisioned event, which lists it a moment later.
            ReadModelBehind(logger, deviceId, e);
        }

        return Outcome<ProvisionResult>.Done(result);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {DeviceId} is provisioned but the read model could not be written now; it follows from the device's event")]
    private static partial void ReadModelBehind(ILogger logger, string deviceId, Exception exception);

    /// <summary>
    /// Renames the device. <paramref name="errors"/> may hold faults found reading the body already: they are told only
    /// to the device's owner, as everything else about the device.
    /// </summary>
    public async Task<Outcome<bool>> RenameAsync(string userId, string deviceId, JsonElement? body, FieldErrors errors, CancellationToken cancellationToken)
    {
        if (await FindAsync(userId, deviceId, cancellationToken) is not { } twin) return Outcome<bool>.Unknown;
        if (body is not { } json || DeviceRequests.Rename(json, errors) is not { } name || errors.Any) return Outcome<bool>.Invalid(errors);
        var result = await actors.Rename(KindOf(twin), deviceId, new RenameRequest(name));
        return result.Ok ? Outcome<bool>.Done(true) : Refused<bool>(result.Errors);
    }

    /// <summary>Removes the device (the actor deletes its broker login at once) and takes it out of the read model.</summary>
    public async Task<Outcome<bool>> RemoveAsync(string userId, string deviceId, CancellationToken cancellationToken)
    {
        if (await FindAsync(userId, deviceId, cancellationToken) is not { } twin) return Outcome<bool>.Unknown;
        var kind = KindOf(twin);
        await actors.Remove(kind, deviceId);
        // The actor keeps the removal's version: stored now, it hides the device before the event arrives.
        await store.SaveTwinAsync(await actors.GetTwin(kind, deviceId), cancellationToken);
        await store.RemoveFromUserAsync(userId, deviceId, cancellationToken);
        return Outcome<bool>.Done(true);
    }

    /// <summary>Checks a patch against the device's type, then asks its actor (<paramref name="errors"/> as for <see cref="RenameAsync"/>).</summary>
    public async Task<Outcome<string>> SetDesiredAsync(string userId, string deviceId, JsonElement? body, FieldErrors errors,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(userId, deviceId, cancellationToken) is not { } twin) return Outcome<string>.Unknown;
        if (body is not { } patch) return Outcome<string>.Invalid(errors);
        CommandResult result;
        if (twin.DeviceType == DeviceKind.LightBulb.Name)
        {
            if (DeviceRequests.LightBulbPatch(patch, errors) is not { } desired) return Outcome<string>.Invalid(errors);
            result = await actors.SetDesired(deviceId, desired);
        }
        else
        {
            if (DeviceRequests.SousVidePatch(patch, errors) is not { } desired) return Outcome<string>.Invalid(errors);
            result = await actors.SetDesired(deviceId, desired);
        }

        return Accepted(result);
    }

    public async Task<Outcome<string>> StartProgramAsync(string userId, string deviceId, JsonElement? body, FieldErrors errors,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(userId, deviceId, cancellationToken) is not { } twin) return Outcome<string>.Unknown;
        if (!IsCooker(twin, errors) || body is not { } json || DeviceRequests.Program(json, errors) is not { } program)
            return Outcome<string>.Invalid(errors);
        return Accepted(await actors.StartProgram(deviceId, program));
    }

    public async Task<Outcome<string>> StopProgramAsync(string userId, string deviceId, CancellationToken cancellationToken)
    {
        if (await FindAsync(userId, deviceId, cancellationToken) is not { } twin) return Outcome<string>.Unknown;
        var errors = new FieldErrors();
        if (!IsCooker(twin, errors)) return Outcome<string>.Invalid(errors);
        return Accepted(await actors.StopProgram(deviceId));
    }

    private static bool IsCooker(DeviceTwinView twin, FieldErrors errors)
    {
        if (twin.DeviceType == DeviceKind.SousVide.Name) return true;
        errors.Add("deviceId", $"{twin.DeviceId} is a {twin.DeviceType}; only {DeviceKind.SousVide.Name} devices run programs");
        return false;
    }

    private static DeviceKind KindOf(DeviceTwinView twin) =>
        DeviceKind.Find(twin.DeviceType) ?? throw new InvalidOperationException($"device {twin.DeviceId} has unknown type '{twin.DeviceType}'");

    private static Outcome<string> Accepted(CommandResult result) =>
        result.Ok ? Outcome<string>.Done(result.CommandId!) : Refused<string>(result.Errors);

    /// <summary>
    /// The actor's refusal. Of an existing device's operations, only one refuses the device itself: it is not
    /// provisioned, i.e. it was removed between the ownership check and the call. To the caller it is unknown, as it
    /// would be a moment later.
    /// </summary>
    private static Outcome<T> Refused<T>(IReadOnlyList<FieldError> errors) =>
        errors.Any(e => e.Field == "deviceId") ? Outcome<T>.Unknown : Outcome<T>.Invalid(ErrorsOf(errors));

    private static FieldErrors ErrorsOf(IReadOnlyList<FieldError> errors)
    {
        var fieldErrors = new FieldErrors();
        foreach (var error in errors) fieldErrors.Add(error.Field, error.Message);
        return fieldErrors;
    }
}
