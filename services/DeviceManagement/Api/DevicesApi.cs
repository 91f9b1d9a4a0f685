using System.Globalization;
using System.Security.Claims;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceManagement.Devices;
using DaprIoT.DeviceManagement.ReadModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DaprIoT.DeviceManagement.Api;

/// <summary>
/// <c>/api/devices</c> (docs/device-api.md): a signed-in user's devices. Another user's device answers exactly as an
/// unknown one (404), and a bad body is a 400 whose <c>errors</c> name each field at fault.
/// </summary>
public static class DevicesApi
{
    public const int DefaultTimelineLimit = 50;

    public static void MapDevicesApi(this IEndpointRouteBuilder app)
    {
        var devices = app.MapGroup("/api/devices").RequireAuthorization().WithTags("Devices")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        devices.MapPost("/", AddAsync).Accepts<AddDeviceBody>("application/json");
        devices.MapGet("/", ListAsync);
        devices.MapGet("/{deviceId}", GetAsync);
        devices.MapPatch("/{deviceId}", RenameAsync).Accepts<RenameDeviceBody>("application/json");
        devices.MapDelete("/{deviceId}", RemoveAsync);
        devices.MapPost("/{deviceId}/desired", SetDesiredAsync).Accepts<DesiredBody>("application/json");
        devices.MapPost("/{deviceId}/program", StartProgramAsync).Accepts<StartProgramBody>("application/json");
        devices.MapDelete("/{deviceId}/program", StopProgramAsync);
        devices.MapGet("/{deviceId}/events", EventsAsync);
    }

    /// <summary>Adds a device of type <c>lightbulb</c> or <c>sousvide</c> and returns its broker login (the password only now).</summary>
    private static async Task<Results<Created<AddedDevice>, ValidationProblem>> AddAsync(HttpRequest request, ClaimsPrincipal user,
        DeviceOperations operations, IOptions<DeviceManagementOptions> options, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (await DeviceRequests.ReadAsync(request, errors, cancellationToken) is not { } body) return Invalid(errors);
        var (kind, name) = DeviceRequests.Add(body, errors);
        if (kind is null || name is null || errors.Any) return Invalid(errors);

        var outcome = await operations.AddAsync(UserId(user), kind, name, cancellationToken);
        if (outcome.Value is not { } provisioned) return Invalid(outcome.Errors!);
        var settings = options.Value;
        var added = new AddedDevice(provisioned.DeviceId, kind.Name, name,
            new MqttCredentials(settings.MqttHost, settings.MqttPort, provisioned.DeviceId, provisioned.Username!, provisioned.Password!));
        return TypedResults.Created($"/api/devices/{provisioned.DeviceId}", added);
    }

    /// <summary>The caller's devices, from the read model in one read.</summary>
    private static async Task<Ok<DeviceList>> ListAsync(ClaimsPrincipal user, DeviceOperations operations, CancellationToken cancellationToken) =>
        TypedResults.Ok(new DeviceList(await operations.ListAsync(UserId(user), cancellationToken)));

    private static async Task<Results<Ok<DeviceTwinView>, NotFound<ProblemDetails>>> GetAsync(string deviceId,
        ClaimsPrincipal user, DeviceOperations operations, CancellationToken cancellationToken) =>
        await operations.FindAsync(UserId(user), deviceId, cancellationToken) is { } twin ? TypedResults.Ok(twin) : UnknownDevice(deviceId);

    /// <summary>Gives the device another name (1 to 64 characters).</summary>
    private static async Task<Results<NoContent, NotFound<ProblemDetails>, ValidationProblem>> RenameAsync(string deviceId, HttpRequest request,
        ClaimsPrincipal user, DeviceOperations operations, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var body = await DeviceRequests.ReadAsync(request, errors, cancellationToken);
        var outcome = await operations.RenameAsync(UserId(user), deviceId, body, errors, cancellationToken);
        return outcome.NotFound ? UnknownDevice(deviceId) : outcome.Errors is { } refused ? Invalid(refused) : TypedResults.NoContent();
    }

    /// <summary>Removes the device; its broker login is deleted at once, which disconnects it.</summary>
    private static async Task<Results<NoContent, NotFound<ProblemDetails>>> RemoveAsync(string deviceId, ClaimsPrincipal user,
        DeviceOperations operations, CancellationToken cancellationToken) =>
        (await operations.RemoveAsync(UserId(user), deviceId, cancellationToken)).NotFound ? UnknownDevice(deviceId) : TypedResults.NoContent();

    /// <summary>
    /// New desired values: a light bulb takes <c>power</c>, <c>brightnessPct</c>, <c>colorTempK</c>; a cooker <c>heater</c>,
    /// <c>targetTempC</c>. Fields of the other type are refused.
    /// </summary>
    private static async Task<Results<Accepted<CommandAccepted>, NotFound<ProblemDetails>, ValidationProblem>> SetDesiredAsync(string deviceId,
        HttpRequest request, ClaimsPrincipal user, DeviceOperations operations, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var body = await DeviceRequests.ReadAsync(request, errors, cancellationToken);
        return Command(deviceId, await operations.SetDesiredAsync(UserId(user), deviceId, body, errors, cancellationToken));
    }

    /// <summary>Starts a cooking program on a cooker: heat to <c>targetTempC</c>, hold it for <c>durationS</c> seconds.</summary>
    private static async Task<Results<Accepted<CommandAccepted>, NotFound<ProblemDetails>, ValidationProblem>> StartProgramAsync(string deviceId,
        HttpRequest request, ClaimsPrincipal user, DeviceOperations operations, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var body = await DeviceRequests.ReadAsync(request, errors, cancellationToken);
        return Command(deviceId, await operations.StartProgramAsync(UserId(user), deviceId, body, errors, cancellationToken));
    }

    /// <summary>Ends the cooker's running program and turns its heater off.</summary>
    private static async Task<Results<Accepted<CommandAccepted>, NotFound<ProblemDetails>, ValidationProblem>> StopProgramAsync(string deviceId,
        ClaimsPrincipal user, DeviceOperations operations, CancellationToken cancellationToken) =>
        Command(deviceId, await operations.StopProgramAsync(UserId(user), deviceId, cancellationToken));

    /// <summary>The device's newest changes, newest first: <c>limit</c> 1 to 100, default 50.</summary>
    private static async Task<Results<Ok<DeviceEvents>, NotFound<ProblemDetails>, ValidationProblem>> EventsAsync(string deviceId, string? limit,
        ClaimsPrincipal user, DeviceOperations operations, DeviceStore store, CancellationToken cancellationToken)
    {
        var count = DefaultTimelineLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count)
                || count is < 1 or > DeviceStore.TimelineLength))
        {
            var errors = new FieldErrors();
            errors.Add("limit", $"must be a whole number from 1 to {DeviceStore.TimelineLength}");
            return Invalid(errors);
        }

        if (await operations.FindAsync(UserId(user), deviceId, cancellationToken) is null) return UnknownDevice(deviceId);
        return TypedResults.Ok(new DeviceEvents(deviceId, await store.TimelineAsync(deviceId, count, cancellationToken)));
    }

    /// <summary>The token's <c>sub</c>: RequireAuthorization lets only validated tokens in, and auth always sets it.</summary>
    public static string UserId(ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("an authenticated user without a 'sub' claim");

    private static Results<Accepted<CommandAccepted>, NotFound<ProblemDetails>, ValidationProblem> Command(string deviceId, Outcome<string> outcome) =>
        outcome.NotFound ? UnknownDevice(deviceId)
        : outcome.Errors is { } errors ? Invalid(errors)
        : TypedResults.Accepted((string?)null, new CommandAccepted(outcome.Value!));

    private static ValidationProblem Invalid(FieldErrors errors) =>
        TypedResults.ValidationProblem(errors.ToDictionary(), title: "The request is not valid");

    private static NotFound<ProblemDetails> UnknownDevice(string deviceId) => TypedResults.NotFound(new ProblemDetails
    {
        Title = "Unknown device",
        Detail = $"You have no device '{deviceId}'. Add it first, or check the id in your device list.",
        Status = StatusCodes.Status404NotFound,
    });
}
