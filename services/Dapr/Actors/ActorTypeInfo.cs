using System.Collections.Concurrent;
using System.Reflection;

namespace DaprIoT.Dapr.Actors;

/// <summary>A hosted actor type and its methods, discovered by name once at start-up.</summary>
internal sealed class ActorTypeInfo
{
    private readonly Dictionary<string, ActorMethod> _methods;
    private readonly ConcurrentDictionary<string, ActorMethod?> _timerCallbacks = new(StringComparer.Ordinal);

    private ActorTypeInfo(ActorTypeRegistration registration, Dictionary<string, ActorMethod> methods)
    {
        Registration = registration;
        _methods = methods;
    }

    public ActorTypeRegistration Registration { get; }

    public string TypeName => Registration.TypeName;

    public Type ClrType => Registration.ClrType;

    public bool IsRemindable => typeof(IRemindable).IsAssignableFrom(ClrType);

    public IReadOnlyCollection<string> MethodNames => _methods.Keys;

    public static ActorTypeInfo Create(ActorTypeRegistration registration)
    {
        var methods = new Dictionary<string, ActorMethod>(StringComparer.Ordinal);
        var candidates = registration.ClrType.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(method => method.DeclaringType is { } declaring && declaring != typeof(Actor) && declaring != typeof(object)
                && typeof(Actor).IsAssignableFrom(declaring) && !method.IsSpecialName
                && !(method.Name == nameof(IRemindable.ReceiveReminderAsync) && typeof(IRemindable).IsAssignableFrom(declaring)));
        foreach (var group in candidates.GroupBy(method => method.Name))
        {
            if (group.Count() > 1)
            {
                throw new InvalidOperationException(
                    $"Actor type {registration.ClrType.Name} has {group.Count()} public methods named {group.Key}; actor methods are called by name, so give each a distinct name.");
            }

            if (ActorMethod.TryCreate(group.Single()) is not { } method)
            {
                continue;
            }

            methods[method.Name] = method;
            // Callers may use the name with or without the Async suffix ("Count" or "CountAsync").
            if (method.Name.EndsWith("Async", StringComparison.Ordinal) && method.Name.Length > "Async".Length)
            {
                methods.TryAdd(method.Name[..^"Async".Length], method);
            }
        }

        return new ActorTypeInfo(registration, methods);
    }

    public ActorMethod? FindMethod(string name) => _methods.GetValueOrDefault(name);

    /// <summary>Timer callbacks may be any instance method of the actor, not only public ones.</summary>
    public ActorMethod? FindTimerCallback(string name) => _timerCallbacks.GetOrAdd(name, callback =>
    {
        if (FindMethod(callback) is { } method)
        {
            return method;
        }

        for (var type = ClrType; type is not null && type != typeof(Actor); type = type.BaseType)
        {
            var candidate = type.GetMethod(callback, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            if (candidate is not null)
            {
                return ActorMethod.TryCreate(candidate);
            }
        }

        return null;
    });
}
