using System.Reflection;
using System.Text.Json;

namespace DaprIoT.Dapr.Actors;

/// <summary>A callable actor method: zero or one JSON argument (plus an optional trailing CancellationToken), returning Task or Task&lt;T&gt;.</summary>
internal sealed class ActorMethod
{
    private readonly MethodInfo _method;
    private readonly bool _takesCancellationToken;
    private readonly PropertyInfo? _resultProperty;

    private ActorMethod(MethodInfo method, Type? parameterType, bool takesCancellationToken)
    {
        _method = method;
        ParameterType = parameterType;
        _takesCancellationToken = takesCancellationToken;
        if (method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            ResultType = method.ReturnType.GetGenericArguments()[0];
            _resultProperty = method.ReturnType.GetProperty(nameof(Task<object>.Result));
        }
    }

    public string Name => _method.Name;

    public Type? ParameterType { get; }

    /// <summary>The T of Task&lt;T&gt;, or null for a plain Task.</summary>
    public Type? ResultType { get; }

    /// <summary>Null when <paramref name="method"/> is not shaped like an actor method; throws when it almost is, to say why.</summary>
    public static ActorMethod? TryCreate(MethodInfo method)
    {
        if (!typeof(Task).IsAssignableFrom(method.ReturnType) || method.IsGenericMethodDefinition)
        {
            return null;
        }

        var parameters = method.GetParameters();
        var takesToken = parameters.Length > 0 && parameters[^1].ParameterType == typeof(CancellationToken);
        var dataParameters = takesToken ? parameters[..^1] : parameters;
        if (dataParameters.Length > 1)
        {
            throw new InvalidOperationException(
                $"Actor method {method.DeclaringType?.Name}.{method.Name} takes {dataParameters.Length} arguments; actor methods take zero or one (a record for several values).");
        }

        return new ActorMethod(method, dataParameters.Length == 1 ? dataParameters[0].ParameterType : null, takesToken);
    }

    /// <exception cref="ActorArgumentException">The body is not valid JSON for the parameter type.</exception>
    public object? ReadArgument(ReadOnlyMemory<byte> body, JsonSerializerOptions options)
    {
        if (ParameterType is null)
        {
            return null;
        }

        if (body.IsEmpty)
        {
            if (ParameterType.IsValueType && Nullable.GetUnderlyingType(ParameterType) is null)
            {
                throw new ActorArgumentException($"Method {Name} needs a {ParameterType.Name} argument, but the request body is empty.");
            }

            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(body.Span, ParameterType, options);
        }
        catch (JsonException ex)
        {
            throw new ActorArgumentException($"The body is not a valid {ParameterType.Name} for method {Name}: {ex.Message}", ex);
        }
    }

    public async Task<object?> InvokeAsync(Actor actor, object? argument, CancellationToken cancellationToken)
    {
        var arguments = new List<object?>(2);
        if (ParameterType is not null)
        {
            arguments.Add(argument);
        }

        if (_takesCancellationToken)
        {
            arguments.Add(cancellationToken);
        }

        var task = (Task)_method.Invoke(actor, BindingFlags.DoNotWrapExceptions, binder: null, [.. arguments], culture: null)!;
        await task;
        return _resultProperty?.GetValue(task);
    }
}
