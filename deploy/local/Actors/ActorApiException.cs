using System.Text.Json.Nodes;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// An actor API failure with the status, <c>errorCode</c> and message daprd answers with
/// (pkg/api/errors/actor.go, pkg/messages). The route handlers turn it into <c>{"errorCode","message"}</c>.
/// </summary>
internal sealed class ActorApiException(int status, string errorCode, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string ErrorCode { get; } = errorCode;

    public IResult ToResult() => Results.Json(
        new JsonObject { ["errorCode"] = ErrorCode, ["message"] = Message }, statusCode: Status);

    public static ActorApiException Malformed(string detail) =>
        new(StatusCodes.Status400BadRequest, "ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {detail}");

    public static ActorApiException BadRequest(string detail) =>
        new(StatusCodes.Status400BadRequest, "ERR_BAD_REQUEST", $"invalid request: {detail}");

    public static ActorApiException Invoke(string detail) =>
        new(StatusCodes.Status500InternalServerError, "ERR_ACTOR_INVOKE_METHOD", $"error invoke actor method: {detail}");

    public static ActorApiException NoAddress(string actorType, string actorId) =>
        new(StatusCodes.Status404NotFound, "ERR_ACTOR_NO_ADDRESS",
            $"did not find address for actor {actorType}/{actorId}: no sidecar in this runtime hosts actor type '{actorType}' " +
            "(check that the hosting app answers /dapr/config with it in 'entities' and has an actorStateStore)");

    public static ActorApiException RuntimeNotFound() =>
        new(StatusCodes.Status500InternalServerError, "ERR_ACTOR_RUNTIME_NOT_FOUND",
            "the state store is not configured to use the actor runtime. Have you set the - name: actorStateStore value: \"true\" in your state store component file?");

    public static ActorApiException InstanceMissing() =>
        new(StatusCodes.Status400BadRequest, "ERR_ACTOR_INSTANCE_MISSING", "actor instance is missing");

    public static ActorApiException StateGet(string detail) =>
        new(StatusCodes.Status500InternalServerError, "ERR_ACTOR_STATE_GET", $"error getting actor state: {detail}");

    public static ActorApiException StateTransaction(string detail) =>
        new(StatusCodes.Status500InternalServerError, "ERR_ACTOR_STATE_TRANSACTION_SAVE", $"error saving actor transaction state: {detail}");

    public static ActorApiException TimerCreate(string detail) =>
        new(StatusCodes.Status500InternalServerError, "ERR_ACTOR_TIMER_CREATE", $"error creating actor timer: {detail}");

    public static ActorApiException ReminderCreate(string detail) =>
        new(StatusCodes.Status500InternalServerError, "ERR_ACTOR_REMINDER_CREATE", $"error creating actor reminder: {detail}");

    public static ActorApiException ReminderGet(string detail) =>
        new(StatusCodes.Status500InternalServerError, "ERR_ACTOR_REMINDER_GET", $"error getting actor reminder: {detail}");

    public static ActorApiException ReminderDelete(string detail) =>
        new(StatusCodes.Status500InternalServerError, "ERR_ACTOR_REMINDER_DELETE", $"error deleting actor reminder: {detail}");

    public static ActorApiException ReminderNotFound(string name) =>
        new(StatusCodes.Status404NotFound, "ERR_ACTOR_REMINDER_NOT_FOUND", $"actor reminder not found: {name}");

    public static ActorApiException ReminderAlreadyExists(string name) =>
        new(StatusCodes.Status409Conflict, "ERR_ACTOR_REMINDER_ALREADY_EXISTS", $"actor reminder already exists: {name}");

    public static ActorApiException ReminderNonHosted() =>
        new(StatusCodes.Status403Forbidden, "ERR_ACTOR_REMINDER_NON_HOSTED",
            "operations on actor reminders are only possible on hosted actor types");
}
