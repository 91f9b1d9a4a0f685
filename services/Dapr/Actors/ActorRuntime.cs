using System.Collections.Concurrent;
using System.Text.Json;
using DaprIoT.Dapr.Client;
using DaprIoT.Dapr.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaprIoT.Dapr.Actors;

/// <summary>
/// Hosts this app's actors: activates ids on demand, runs one call at a time per id (daprd serialises calls too, but
/// the app must not rely on a single sidecar for that), saves state at the end of each call, and deactivates on request.
/// </summary>
internal sealed class ActorRuntime
{
    private readonly Dictionary<string, ActorTypeInfo> _types;
    private readonly ConcurrentDictionary<(string Type, string Id), ActorSlot> _slots = new();
    private readonly IServiceProvider _services;
    private readonly ILogger<ActorRuntime> _logger;

    public ActorRuntime(IOptions<ActorRuntimeOptions> options, IServiceProvider services, ILogger<ActorRuntime> logger)
    {
        Options = options.Value;
        _services = services;
        _logger = logger;
        _types = Options.Registrations.ToDictionary(registration => registration.TypeName, ActorTypeInfo.Create, StringComparer.Ordinal);
    }

    public ActorRuntimeOptions Options { get; }

    /// <summary>The body of <c>GET /dapr/config</c>.</summary>
    public Dictionary<string, object> BuildConfig()
    {
        var config = new Dictionary<string, object>
        {
            ["entities"] = _types.Keys.ToList(),
            ["actorIdleTimeout"] = GoDuration.Format(Options.ActorIdleTimeout),
            ["actorScanInterval"] = GoDuration.Format(Options.ActorScanInterval),
            ["drainOngoingCallTimeout"] = GoDuration.Format(Options.DrainOngoingCallTimeout),
            ["drainRebalancedActors"] = Options.DrainRebalancedActors,
            // Reentrancy stays off: a re-entrant call would wait on this host's own turn lock.
            ["reentrancy"] = new Dictionary<string, object> { ["enabled"] = false, ["maxStackDepth"] = 32 },
        };
        if (Options.RemindersStoragePartitions is { } partitions)
        {
            config["remindersStoragePartitions"] = partitions;
        }

        var perType = _types.Values
            .Where(type => type.Registration.Options.ActorIdleTimeout is not null || type.Registration.Options.DrainOngoingCallTimeout is not null)
            .Select(type =>
            {
                var entry = new Dictionary<string, object> { ["entities"] = new[] { type.TypeName } };
                if (type.Registration.Options.ActorIdleTimeout is { } idle)
                {
                    entry["actorIdleTimeout"] = GoDuration.Format(idle);
                }

                if (type.Registration.Options.DrainOngoingCallTimeout is { } drain)
                {
                    entry["drainOngoingCallTimeout"] = GoDuration.Format(drain);
                }

                return entry;
            })
            .ToList();
        if (perType.Count > 0)
        {
            config["entitiesConfig"] = perType;
        }

        return config;
    }

    public Task<ActorCallResult> InvokeMethodAsync(string actorType, string actorId, string methodName, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!_types.TryGetValue(actorType, out var type))
        {
            return Task.FromResult(UnknownType(actorType));
        }

        if (type.FindMethod(methodName) is not { } method)
        {
            // 404 tells daprd "method not found", which it does not retry.
            return Task.FromResult(ActorCallResult.Problem(StatusCodes.Status404NotFound, "Unknown actor method",
                $"Actor type '{actorType}' has no method '{methodName}'. Methods: {string.Join(", ", type.MethodNames.Order())}.", isActorError: false));
        }

        return InvokeAsync(type, actorId, method, body, $"method {methodName}", cancellationToken);
    }

    public Task<ActorCallResult> ReceiveReminderAsync(string actorType, string actorId, string reminderName, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!_types.TryGetValue(actorType, out var type))
        {
            return Task.FromResult(UnknownType(actorType));
        }

        if (!type.IsRemindable)
        {
            return Task.FromResult(ActorCallResult.Problem(StatusCodes.Status404NotFound, "Actor does not take reminders",
                $"Actor type '{actorType}' got reminder '{reminderName}' but does not implement IRemindable.", isActorError: false));
        }

        if (!TryReadCallback(body, out var callback, out var problem))
        {
            return Task.FromResult(problem);
        }

        return RunTurnAsync(type, actorId, $"reminder {reminderName}", async actor =>
        {
            await ((IRemindable)actor).ReceiveReminderAsync(reminderName, callback.Data, callback.DueTime ?? "", callback.Period ?? "");
            return ActorCallResult.Empty;
        }, cancellationToken);
    }

    public Task<ActorCallResult> ReceiveTimerAsync(string actorType, string actorId, string timerName, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!_types.TryGetValue(actorType, out var type))
        {
            return Task.FromResult(UnknownType(actorType));
        }

        if (!TryReadCallback(body, out var callback, out var problem))
        {
            return Task.FromResult(problem);
        }

        if (string.IsNullOrEmpty(callback.Callback) || type.FindTimerCallback(callback.Callback) is not { } method)
        {
            return Task.FromResult(ActorCallResult.Problem(StatusCodes.Status404NotFound, "Unknown timer callback",
                $"Timer '{timerName}' of actor type '{actorType}' names callback '{callback.Callback}', which is not a method of the actor.", isActorError: false));
        }

        var data = callback.Data is { } element ? JsonSerializer.SerializeToUtf8Bytes(element) : [];
        return InvokeAsync(type, actorId, method, data, $"timer {timerName}", cancellationToken);
    }

    /// <summary>Deactivates an id (sidecar's DELETE). Unknown ids are fine: there is nothing to do.</summary>
    public async Task<ActorCallResult> DeactivateAsync(string actorType, string actorId, CancellationToken cancellationToken)
    {
        if (!_types.ContainsKey(actorType))
        {
            return UnknownType(actorType);
        }

        if (!_slots.TryGetValue((actorType, actorId), out var slot))
        {
            return ActorCallResult.Empty;
        }

        await slot.Turn.WaitAsync(cancellationToken);
        try
        {
            if (slot.Removed)
            {
                return ActorCallResult.Empty;
            }

            slot.Removed = true;
            _slots.TryRemove(new KeyValuePair<(string, string), ActorSlot>((actorType, actorId), slot));
            if (slot.Actor is not { } actor)
            {
                return ActorCallResult.Empty;
            }

            try
            {
                actor.StateManager.DiscardChanges();
                await actor.DeactivateAsync();
                DaprLog.ActorDeactivated(_logger, actorType, actorId);
                return ActorCallResult.Empty;
            }
            catch (Exception ex)
            {
                DaprLog.ActorCallFailed(_logger, actorType, actorId, "deactivation", ex);
                return ActorCallResult.Problem(StatusCodes.Status500InternalServerError, "Actor deactivation failed",
                    $"OnDeactivateAsync of actor {actorType}/{actorId} failed: {ex.Message}", isActorError: true);
            }
            finally
            {
                slot.Actor = null;
                slot.Scope?.Dispose();
            }
        }
        finally
        {
            slot.Turn.Release();
        }
    }

    private Task<ActorCallResult> InvokeAsync(ActorTypeInfo type, string actorId, ActorMethod method, ReadOnlyMemory<byte> body, string operation,
        CancellationToken cancellationToken)
    {
        object? argument;
        try
        {
            argument = method.ReadArgument(body, SerializerOptions);
        }
        catch (ActorArgumentException ex)
        {
            return Task.FromResult(ActorCallResult.Problem(StatusCodes.Status400BadRequest, "Invalid actor argument", ex.Message, isActorError: true));
        }

        return RunTurnAsync(type, actorId, operation, async actor =>
        {
            var result = await method.InvokeAsync(actor, argument, cancellationToken);
            return method.ResultType is { } resultType ? ActorCallResult.Json(result, resultType, SerializerOptions) : ActorCallResult.Empty;
        }, cancellationToken);
    }

    private JsonSerializerOptions SerializerOptions => _services.GetRequiredService<IOptions<SidecarClientOptions>>().Value.JsonSerializerOptions;

    /// <summary>One turn: the id's lock, activation on first use, the call, then saving (or discarding) state changes.</summary>
    private async Task<ActorCallResult> RunTurnAsync(ActorTypeInfo type, string actorId, string operation, Func<Actor, Task<ActorCallResult>> call,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var slot = _slots.GetOrAdd((type.TypeName, actorId), _ => new ActorSlot());
            await slot.Turn.WaitAsync(cancellationToken);
            var holdsTurn = true;
            try
            {
                if (slot.Removed)
                {
                    continue;
                }

                Actor actor;
                try
                {
                    actor = slot.Actor ?? await ActivateAsync(type, actorId, slot, cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    DaprLog.ActorCallFailed(_logger, type.TypeName, actorId, "activation", ex);
                    return ActorCallResult.Problem(StatusCodes.Status500InternalServerError, "Actor activation failed",
                        $"Activating actor {type.TypeName}/{actorId} failed: {ex.Message}", isActorError: true);
                }

                if (!Options.EnforceTurnsInApp)
                {
                    // Only activation stays serialised; the call itself relies on the sidecar's per-actor lock.
                    slot.Turn.Release();
                    holdsTurn = false;
                }

                return await RunCallAsync(type, actorId, operation, actor, call, cancellationToken);
            }
            finally
            {
                if (holdsTurn)
                {
                    slot.Turn.Release();
                }
            }
        }
    }

    private async Task<ActorCallResult> RunCallAsync(ActorTypeInfo type, string actorId, string operation, Actor actor,
        Func<Actor, Task<ActorCallResult>> call, CancellationToken cancellationToken)
    {
        try
        {
            var result = await call(actor);
            await actor.StateManager.SaveStateAsync(cancellationToken);
            return result;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            actor.StateManager.DiscardChanges();
            DaprLog.ActorCallFailed(_logger, type.TypeName, actorId, operation, ex);
            return ActorCallResult.Problem(StatusCodes.Status500InternalServerError, "Actor call failed",
                $"{operation} of actor {type.TypeName}/{actorId} failed: {ex.Message}", isActorError: true);
        }
        catch
        {
            actor.StateManager.DiscardChanges();
            throw;
        }
    }

    private async Task<Actor> ActivateAsync(ActorTypeInfo type, string actorId, ActorSlot slot, CancellationToken cancellationToken)
    {
        var scope = _services.CreateScope();
        try
        {
            var sidecar = scope.ServiceProvider.GetRequiredService<DaprSidecarClient>();
            var actor = (Actor)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type.ClrType);
            actor.Attach(new ActorHost(type.TypeName, actorId, new ActorStateManager(sidecar, type.TypeName, actorId), sidecar));
            await actor.ActivateAsync();
            await actor.StateManager.SaveStateAsync(cancellationToken);
            slot.Actor = actor;
            slot.Scope = scope;
            DaprLog.ActorActivated(_logger, type.TypeName, actorId);
            return actor;
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }

    private static bool TryReadCallback(ReadOnlyMemory<byte> body, out CallbackBody callback, out ActorCallResult problem)
    {
        problem = ActorCallResult.Empty;
        callback = new CallbackBody(null, null, null, null);
        if (body.IsEmpty)
        {
            return true;
        }

        try
        {
            callback = JsonSerializer.Deserialize<CallbackBody>(body.Span, ProtocolJson.Options) ?? callback;
            return true;
        }
        catch (JsonException ex)
        {
            problem = ActorCallResult.Problem(StatusCodes.Status400BadRequest, "Invalid callback body", ex.Message, isActorError: false);
            return false;
        }
    }

    private ActorCallResult UnknownType(string actorType) =>
        ActorCallResult.Problem(StatusCodes.Status404NotFound, "Unknown actor type",
            $"This app does not host actor type '{actorType}'. It hosts: {string.Join(", ", _types.Keys)}.", isActorError: false);

    private sealed record CallbackBody(string? Callback, JsonElement? Data, string? DueTime, string? Period);
}
