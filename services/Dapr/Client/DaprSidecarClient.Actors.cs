using System.Net;
using System.Text.Json;

namespace DaprIoT.Dapr.Client;

public sealed partial class DaprSidecarClient
{
    /// <summary>Calls an actor method and hands back the sidecar's response as is (the caller disposes it).</summary>
    public async Task<HttpResponseMessage> InvokeActorMethodRawAsync(string actorType, string actorId, string method,
        HttpContent? content = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, ActorPath(actorType, actorId) + "/method/" + Uri.EscapeDataString(method))
        {
            Content = content,
        };
        return await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }

    /// <summary>Calls an actor method with an optional JSON argument and reads its JSON result.</summary>
    public async Task<TResponse?> InvokeActorMethodAsync<TResponse>(string actorType, string actorId, string method,
        object? argument = null, CancellationToken cancellationToken = default)
    {
        using var response = await InvokeActorMethodRawAsync(actorType, actorId, method, argument is null ? null : JsonBody(argument), cancellationToken);
        await EnsureSuccessAsync(response, $"Calling actor {actorType}/{actorId} method {method}", cancellationToken);
        return await ReadJsonAsync<TResponse>(response, cancellationToken);
    }

    /// <summary>Calls an actor method with an optional JSON argument, ignoring any result.</summary>
    public async Task InvokeActorMethodAsync(string actorType, string actorId, string method,
        object? argument = null, CancellationToken cancellationToken = default)
    {
        using var response = await InvokeActorMethodRawAsync(actorType, actorId, method, argument is null ? null : JsonBody(argument), cancellationToken);
        await EnsureSuccessAsync(response, $"Calling actor {actorType}/{actorId} method {method}", cancellationToken);
    }

    /// <summary>Reads one key of an actor's state; a missing key (daprd answers 204) has no value.</summary>
    public async Task<ConditionalValue<T>> GetActorStateAsync<T>(string actorType, string actorId, string key, CancellationToken cancellationToken = default)
    {
        var json = await GetActorStateJsonAsync(actorType, actorId, key, cancellationToken);
        return json is { } element ? new ConditionalValue<T>(true, element.Deserialize<T>(_options.JsonSerializerOptions)) : ConditionalValue<T>.None;
    }

    internal async Task<JsonElement?> GetActorStateJsonAsync(string actorType, string actorId, string key, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ActorPath(actorType, actorId) + "/state/" + Uri.EscapeDataString(key));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Reading state '{key}' of actor {actorType}/{actorId}", cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent || bytes.Length == 0)
        {
            return null;
        }

        using var document = JsonDocument.Parse(bytes);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Saves actor state atomically. daprd accepts it only while the actor is active in this sidecar, i.e. during
    /// (or right after) a turn on the hosting app.
    /// </summary>
    public async Task ExecuteActorStateTransactionAsync(string actorType, string actorId, IReadOnlyList<ActorStateOperation> operations,
        CancellationToken cancellationToken = default)
    {
        var wire = operations.Select(operation => new
        {
            operation = operation.Operation,
            request = new
            {
                key = operation.Key,
                value = operation.Operation == StateTransactionOperation.UpsertOperation
                    ? JsonSerializer.SerializeToElement(operation.Value, operation.Value?.GetType() ?? typeof(object), _options.JsonSerializerOptions)
                    : (JsonElement?)null,
                metadata = operation.Metadata,
            },
        }).ToList();
        using var request = new HttpRequestMessage(HttpMethod.Post, ActorPath(actorType, actorId) + "/state")
        {
            Content = ProtocolBody(wire),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Saving state of actor {actorType}/{actorId}", cancellationToken);
    }

    public async Task RegisterActorReminderAsync(string actorType, string actorId, string reminderName, ActorReminderRequest reminder,
        CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ActorPath(actorType, actorId) + "/reminders/" + Uri.EscapeDataString(reminderName))
        {
            Content = ProtocolBody(reminder),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Registering reminder '{reminderName}' of actor {actorType}/{actorId}", cancellationToken);
    }

    /// <summary>Reads a reminder; null when it does not exist.</summary>
    public async Task<ActorReminder?> GetActorReminderAsync(string actorType, string actorId, string reminderName, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ActorPath(actorType, actorId) + "/reminders/" + Uri.EscapeDataString(reminderName));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, $"Reading reminder '{reminderName}' of actor {actorType}/{actorId}", cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return bytes.Length == 0 ? null : JsonSerializer.Deserialize<ActorReminder>(bytes, Internal.ProtocolJson.Options);
    }

    public async Task UnregisterActorReminderAsync(string actorType, string actorId, string reminderName, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, ActorPath(actorType, actorId) + "/reminders/" + Uri.EscapeDataString(reminderName));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Deleting reminder '{reminderName}' of actor {actorType}/{actorId}", cancellationToken);
    }

    public async Task RegisterActorTimerAsync(string actorType, string actorId, string timerName, ActorTimerRequest timer,
        CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ActorPath(actorType, actorId) + "/timers/" + Uri.EscapeDataString(timerName))
        {
            Content = ProtocolBody(timer),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Registering timer '{timerName}' of actor {actorType}/{actorId}", cancellationToken);
    }

    public async Task UnregisterActorTimerAsync(string actorType, string actorId, string timerName, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, ActorPath(actorType, actorId) + "/timers/" + Uri.EscapeDataString(timerName));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, $"Deleting timer '{timerName}' of actor {actorType}/{actorId}", cancellationToken);
    }

    private static string ActorPath(string actorType, string actorId)
    {
        ArgumentException.ThrowIfNullOrEmpty(actorType);
        ArgumentException.ThrowIfNullOrEmpty(actorId);
        return $"v1.0/actors/{Uri.EscapeDataString(actorType)}/{Uri.EscapeDataString(actorId)}";
    }
}
