using Grpc.Core;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// The actor API's failures with daprd's codes, HTTP statuses, gRPC statuses and message formats
/// (<c>pkg/messages/predefined.go</c>, <c>pkg/api/errors/actor.go</c>).
/// </summary>
internal static class ActorErrors
{
    public static DaprApiException Malformed(string detail) =>
        new(400, StatusCode.InvalidArgument, "ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {detail}");

    public static DaprApiException BadRequest(string detail) =>
        new(400, StatusCode.InvalidArgument, "ERR_BAD_REQUEST", $"invalid request: {detail}");

    public static DaprApiException Invoke(string detail) =>
        new(500, StatusCode.Internal, "ERR_ACTOR_INVOKE_METHOD", $"error invoke actor method: {detail}");

    public static DaprApiException NoAddress(string actorType, string actorId) =>
        new(404, StatusCode.FailedPrecondition, "ERR_ACTOR_NO_ADDRESS",
            $"did not find address for actor {actorType}/{actorId}: no sidecar in this runtime hosts actor type '{actorType}' " +
            "(check that the hosting app answers /dapr/config with it in 'entities' and has an actorStateStore)");

    public static DaprApiException RuntimeNotFound() =>
        new(500, StatusCode.Internal, "ERR_ACTOR_RUNTIME_NOT_FOUND",
            "the state store is not configured to use the actor runtime. Have you set the - name: actorStateStore value: \"true\" in your state store component file?");

    // daprd answers a missing instance with 400 on HTTP but INTERNAL on gRPC.
    public static DaprApiException InstanceMissing() =>
        new(400, StatusCode.Internal, "ERR_ACTOR_INSTANCE_MISSING", "actor instance is missing");

    public static DaprApiException StateGet(string detail) =>
        new(500, StatusCode.Internal, "ERR_ACTOR_STATE_GET", $"error getting actor state: {detail}");

    public static DaprApiException StateTransaction(string detail) =>
        new(500, StatusCode.Internal, "ERR_ACTOR_STATE_TRANSACTION_SAVE", $"error saving actor transaction state: {detail}");

    public static DaprApiException TimerCreate(string detail) =>
        new(500, StatusCode.Internal, "ERR_ACTOR_TIMER_CREATE", $"error creating actor timer: {detail}");

    public static DaprApiException ReminderCreate(string detail) =>
        new(500, StatusCode.Internal, "ERR_ACTOR_REMINDER_CREATE", $"error creating actor reminder: {detail}");

    public static DaprApiException ReminderDelete(string detail) =>
        new(500, StatusCode.Internal, "ERR_ACTOR_REMINDER_DELETE", $"error deleting actor reminder: {detail}");

    public static DaprApiException ReminderNotFound(string name) =>
        new(404, StatusCode.NotFound, "ERR_ACTOR_REMINDER_NOT_FOUND", $"actor reminder not found: {name}");

    public static DaprApiException ReminderAlreadyExists(string name) =>
        new(409, StatusCode.AlreadyExists, "ERR_ACTOR_REMINDER_ALREADY_EXISTS", $"actor reminder already exists: {name}");

    public static DaprApiException ReminderNonHosted() =>
        new(403, StatusCode.PermissionDenied, "ERR_ACTOR_REMINDER_NON_HOSTED",
            "operations on actor reminders are only possible on hosted actor types");
}
